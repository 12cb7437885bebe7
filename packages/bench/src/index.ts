export * from './figures.js';
export * from './options.js';
export * from './world.js';
