export * from './artifact.js';
export * from './bom.js';
export * from './diff.js';
export * from './reference.js';
export * from './render.js';
export * from './show.js';
