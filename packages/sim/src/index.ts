export * from './world-schema.js';
export * from './world.js';
export * from './random.js';
export * from './faults.js';
export * from './sigv4.js';
export * from './authenticator.js';
export * from './control.js';
export * from './simulator.js';
