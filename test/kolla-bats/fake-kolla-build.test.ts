/**
 * The fake kolla-build (test/fakes/kolla-bats/kolla-build) writes what the real one writes, as read
 * in kolla's source (the fake's header cites the files and the commit): the summary is exactly
 * Python's json.dump(results, f, indent=4) of kolla_worker.summary()'s lists, sorted by name; a
 * failed image gets its 000_FAILED_ symlink; the log lines are logging.BASIC_FORMAT; exit 1 on a
 * failed image. The engine here is a shell script, so this needs no container daemon.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseKollaSummary } from '../../actions/kolla-bats/kolla/adapter.js';
import { repoRoot } from '../harness/run-action.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-kolla-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pythonJson(value: unknown): string {
  const py = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), indent=4))'],
    { input: JSON.stringify(value), encoding: 'utf8' },
  );
  expect(py.status, py.stderr).toBe(0);
  return py.stdout;
}

it('writes kolla_worker.summary() byte for byte, the FAILED link and BASIC_FORMAT lines, and exits 1', () => {
  const images = path.join(dir, 'docker');
  for (const [name, body] of [
    ['nova-api', 'ok'],
    ['glance-api', 'broken'],
    ['cinder-api', 'ok'],
    ['horizon', 'ok'],
  ]) {
    mkdirSync(path.join(images, name), { recursive: true });
    writeFileSync(path.join(images, name, 'Dockerfile'), `${body}\n`);
  }
  const engine = path.join(dir, 'engine');
  writeFileSync(
    engine,
    '#!/bin/sh\nfor last; do :; done\nif grep -q broken "$last/Dockerfile"; then echo "Step 1/1 : RUN false"; echo "returned a non-zero code: 1"; exit 1; fi\necho "Step 1/1 : RUN true"\n',
    { mode: 0o755 },
  );
  const summaryFile = path.join(dir, 'summary.json');
  const logs = path.join(dir, 'logs');
  const conf = path.join(dir, 'kolla-build.conf');
  writeFileSync(
    conf,
    `[DEFAULT]\nengine = ${engine}\nnamespace = kolla\ntag = 1\ndocker_dir = ${images}\nformat = json\nsummary_json_file = ${summaryFile}\nlogs_dir = ${logs}\n`,
  );
  const run = spawnSync(
    path.join(repoRoot, 'test', 'fakes', 'kolla-bats', 'kolla-build'),
    ['--config-file', conf, '^nova', '^glance', '^cinder'],
    { encoding: 'utf8' },
  );
  expect(run.status).toBe(1);
  expect(run.stdout).toBe('');

  const expected = {
    built: [{ name: 'cinder-api' }, { name: 'nova-api' }],
    failed: [{ name: 'glance-api', status: 'error' }],
    not_matched: [{ name: 'horizon' }],
    skipped: [],
    unbuildable: [],
  };
  const text = readFileSync(summaryFile, 'utf8');
  expect(text).toBe(pythonJson(expected));
  expect(parseKollaSummary(text, summaryFile)).toEqual({
    built: ['cinder-api', 'nova-api'],
    failed: [{ name: 'glance-api', status: 'error' }],
    notMatched: ['horizon'],
    skipped: [],
    unbuildable: [],
  });

  expect(readlinkSync(path.join(logs, '000_FAILED_glance-api.log'))).toBe('glance-api.log');
  expect(readFileSync(path.join(logs, 'glance-api.log'), 'utf8')).toMatch(
    /^INFO:kolla\.common\.utils\.glance-api:Building started at .+\nERROR:kolla\.common\.utils\.glance-api:Error'd with the following message\nERROR:kolla\.common\.utils\.glance-api:Step 1\/1 : RUN false\n/,
  );
  expect(run.stderr).toContain('INFO:kolla.common.utils:Successfully built images\n');
  expect(run.stderr).toContain('ERROR:kolla.common.utils:glance-api Failed with status: error\n');
});
