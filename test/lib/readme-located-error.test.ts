/**
 * The README's example of a located profile error is one taco-ci really prints: the profile it
 * names (profiles/dev.yaml with the value it shows) is validated and the output compared.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYamlWithLocations } from '../../actions/lib/profile/yaml-locations.js';
import { pointer } from '../../actions/lib/located.js';
import { repoRoot } from '../harness/run-action.js';
import { taco } from '../support/taco-cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'readme-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The README's example: the command after `$ npx taco-ci` and the lines it prints. */
function readmeExample(): { args: string[]; lines: string[] } {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = /```text\n\$ npx taco-ci (validate [^\n]+)\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```text block with `$ npx taco-ci validate …`');
  return { args: block[1].split(' '), lines: block[2].trimEnd().split('\n') };
}

/** A copy of a real profile with one scalar replaced where it stands (every other line unchanged). */
function withValue(file: string, keyPath: string[], value: string): string {
  const text = readFileSync(file, 'utf8');
  const at = parseYamlWithLocations(text, file).locations.get(pointer(keyPath))?.value;
  if (!at) throw new Error(`${file} has no ${keyPath.join('.')}`);
  const lines = text.split('\n');
  const line = lines[at.line - 1];
  const start = at.column - 1;
  const end = start + /^[^\s#,}\]]+/.exec(line.slice(start))![0].length;
  lines[at.line - 1] = `${line.slice(0, start)}${value}${line.slice(end)}`;
  return lines.join('\n');
}

describe('README: located errors', () => {
  it('prints exactly the README example for the profile it describes', () => {
    const { args, lines } = readmeExample();
    expect(args).toEqual(['validate', '--profile', 'profiles/dev.yaml']);
    mkdirSync(path.join(dir, 'profiles'));
    writeFileSync(
      path.join(dir, 'profiles', 'dev.yaml'),
      withValue(path.join(repoRoot, 'profiles', 'dev.yaml'), ['tempest', 'concurrency'], 'four'),
    );
    const run = taco([...args, '--no-workflows'], { cwd: dir });
    expect(run.code).toBe(2);
    const printed = run.stderr.split('\n').filter((l) => /^profiles\//.test(l));
    expect(printed).toEqual(lines);
  });
});
