/** `taco-ci validate --manifest <file>`: every located problem of an Armada manifest, one per line. */
import { checkManifestFile, formatManifestProblem } from '../lib/armada/index.js';

export async function validateManifestFile(file: string, cwd: string): Promise<string[]> {
  return checkManifestFile(file).map((problem) => formatManifestProblem(problem, cwd));
}
