export * from './types.js';
export * from './argv.js';
export * from './parse.js';
export * from './cli.js';
