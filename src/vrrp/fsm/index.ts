// Public surface of the pure VRRP engine: everything a runtime or a MemoryLan simulation needs.
export * from './types.js';
export * from './config.js';
export * from './timing.js';
export * from './validate.js';
export { step, initialState, faultsOf } from './step.js';
export * from '../tracking.js';
