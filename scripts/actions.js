// The actions of this repository: every top-level folder with an action.yml whose runs.main
// points into dist/. Build, check-dist and the tests all take the list from here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function actionNames() {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'action.yml')))
    .filter((d) => /\.\.\/dist\//.test(readFileSync(path.join(root, d.name, 'action.yml'), 'utf8')))
    .map((d) => d.name)
    .sort();
}

/** Everything scripts/build.js bundles into dist/: the actions and the taco-ci command line. */
export function bundleNames() {
  return [...actionNames(), 'cli'];
}
