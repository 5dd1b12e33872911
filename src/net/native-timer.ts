// The VRRP timer queue's one-shot timer on the addon's timerfd (native/timer.h): it fires within
// microseconds of the deadline, where setTimeout runs on libuv's millisecond loop clock and fires
// up to ~2 ms late. Master_Down_Interval and advert deadlines are the protocol's timing.
import type { OneShotFactory } from '../lib/timer-queue.js';
import { loadNative } from './native.js';

export const nativeOneShot: OneShotFactory = (fire) => {
  const t = new (loadNative().Timer)(fire);
  return {
    arm: (delayMs) => t.arm(delayMs),
    disarm: () => t.disarm(),
    close: () => t.close(),
  };
};
