/** Rally for taco/actions: run a task in an isolated Rally home, read its report, summarise it. */
export * from './report.js';
export * from './run.js';
export * from './junit.js';
export * from './summary.js';
export * from './deployment.js';
export * from './progress.js';
