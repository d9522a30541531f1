import v8 from 'node:v8';

/**
 * Leaves V8's optimizing compiler (Turbofan) out for the rest of the process: hot code still gets
 * compiled, by Maglev, which compiles about ten times faster for code somewhat slower. For an action
 * whose work is a few hundred milliseconds of JavaScript (the tempest report mode reading a 64 MB
 * stream), Turbofan's compiling — on a second thread, but counted as the step's CPU time — costs
 * more than its faster code saves: measured on Node 24 (docs/tempest.md, "Performance"), about a
 * third less CPU for the whole process and less memory (no Turbofan code and compiler zones).
 * Read by V8 at each tier-up decision, so it holds from here on. Unknown flags are ignored.
 */
export function skipOptimizingCompiler(): void {
  v8.setFlagsFromString('--no-turbofan');
}
