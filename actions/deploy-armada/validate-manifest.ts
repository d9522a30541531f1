/** `taco-ci validate --manifest <file>`: every located problem of an Armada manifest, one per line. */
import { checkManifestFile, formatManifestProblem } from '../lib/armada/index.js';

export async function validateManifestFile(file: string): Promise<string[]> {
  return checkManifestFile(file).map((problem) => formatManifestProblem(problem));
}
