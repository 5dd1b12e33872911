// Units live in types (DESIGN.md style 3). A branded number cannot be passed where another unit
// is expected without an explicit conversion.
declare const unit: unique symbol;
export type Centiseconds = number & { readonly [unit]: 'cs' };
export type Ms = number & { readonly [unit]: 'ms' };
export type Us = number & { readonly [unit]: 'us' };
export type Seconds = number & { readonly [unit]: 's' };

export const cs = (n: number): Centiseconds => n as Centiseconds;
export const ms = (n: number): Ms => n as Ms;
export const us = (n: number): Us => n as Us;
export const seconds = (n: number): Seconds => n as Seconds;

export const csToMs = (c: Centiseconds): Ms => ms(c * 10);
export const msToCs = (m: Ms): Centiseconds => cs(Math.round(m / 10));
export const secondsToMs = (s: Seconds): Ms => ms(Math.round(s * 1000));
export const secondsToCs = (s: Seconds): Centiseconds => cs(Math.round(s * 100));
