export * from './documents.js';
export * from './images.js';
export * from './load.js';
export * from './model.js';
export * from './overrides.js';
export * from './placeholders.js';
export * from './problems.js';
export * from './schema.js';
