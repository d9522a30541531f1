/** Vitest global setup: `npm test` on a fresh machine installs what the tests need first. */
import { ensureDebianPackages, ensureNode24, readPackageList } from './requirements.js';

export default function setup(): void {
  ensureDebianPackages({ packages: readPackageList(), isRoot: process.getuid?.() === 0 });
  ensureNode24();
}
