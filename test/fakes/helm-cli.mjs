#!/usr/bin/env node
// A FAKE `helm` executable for tests of the bundled action (no helm binary can be installed here).
// It speaks the Helm 3 subset deploy-armada uses — upgrade --install, status, list, history, test,
// uninstall, all with `-o json` where helm has it — with the output shapes real helm 3 prints, and
// keeps releases in $FAKE_HELM_STATE/releases.json. Every argv goes to $FAKE_HELM_STATE/calls.jsonl.
// $FAKE_HELM_FAIL="release: message" (one per line) fails an install; $FAKE_HELM_TEST_FAIL lists
// releases whose test pod fails. Unknown flags are rejected, as helm does.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const stateDir = process.env.FAKE_HELM_STATE;
if (!stateDir) {
  process.stderr.write('Error: FAKE_HELM_STATE is not set\n');
  process.exit(1);
}
const storeFile = path.join(stateDir, 'releases.json');
const load = () => (existsSync(storeFile) ? JSON.parse(readFileSync(storeFile, 'utf8')) : {});
const save = (store) => writeFileSync(storeFile, JSON.stringify(store, null, 2));
const argv = process.argv.slice(2);
appendFileSync(path.join(stateDir, 'calls.jsonl'), `${JSON.stringify(argv)}\n`);

const VALUE_FLAGS = new Set([
  '--namespace',
  '-n',
  '--values',
  '-f',
  '--timeout',
  '--output',
  '-o',
  '--kubeconfig',
  '--kube-context',
  '--version',
  '--description',
  '--max',
  '--filter',
]);
const BOOL_FLAGS = new Set([
  '--install',
  '--wait',
  '--wait-for-jobs',
  '--no-hooks',
  '--force',
  '--atomic',
  '--create-namespace',
  '--logs',
  '--all',
  '--all-namespaces',
  '--keep-history',
]);
const positional = [];
const flags = {};
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (VALUE_FLAGS.has(arg)) (flags[arg] ??= []).push(argv[++i]);
  else if (BOOL_FLAGS.has(arg)) flags[arg] = [true];
  else if (arg.startsWith('-')) fail(`unknown flag: ${arg}`);
  else positional.push(arg);
}
const flag = (name) => flags[name]?.at(-1);
const namespace = flag('--namespace') ?? 'default';
const kubeconfig = flag('--kubeconfig');
if (kubeconfig) {
  if (!existsSync(kubeconfig))
    fail(`Kubernetes cluster unreachable: stat ${kubeconfig}: no such file or directory`);
  if ((statSync(kubeconfig).mode & 0o077) !== 0)
    process.stdout.write(
      `WARNING: Kubernetes configuration file is group-readable. This is insecure. Location: ${kubeconfig}\n`,
    );
}

function fail(message) {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
}

const now = () => new Date().toISOString();
const goTime = (iso) => `${iso.replace('T', ' ').replace('Z', '')} +0000 UTC`;
const key = (name) => `${namespace}/${name}`;

function releaseJson(name, rel) {
  const current = rel.revisions.at(-1);
  return {
    name,
    info: {
      first_deployed: rel.revisions[0].updated,
      last_deployed: current.updated,
      deleted: '',
      description: current.description,
      status: current.status,
    },
    chart: {
      metadata: { name: rel.chart, version: '0.1.0', apiVersion: 'v2', appVersion: 'v1.0.0' },
      lock: null,
      templates: [],
      values: {},
      schema: null,
      files: [],
    },
    config: current.values,
    manifest: '',
    hooks: rel.test
      ? [
          {
            name: `${rel.chart}-test`,
            kind: 'Pod',
            path: `${rel.chart}/templates/pod-test.yaml`,
            manifest: '',
            events: ['test'],
            last_run: rel.test,
            delete_policies: ['before-hook-creation'],
          },
        ]
      : [],
    version: current.revision,
    namespace,
  };
}

const [command, name, chart] = positional;
const store = load();
switch (command) {
  case 'upgrade': {
    if (!flags['--install']) fail('this fake only supports upgrade --install');
    if (!existsSync(path.join(chart, 'Chart.yaml'))) fail(`path "${chart}" not found`);
    const values = (flags['--values'] ?? []).map((file) => {
      if (!existsSync(file)) fail(`open ${file}: no such file or directory`);
      return readFileSync(file, 'utf8');
    });
    const rel = (store[key(name)] ??= { chart: path.basename(chart), revisions: [] });
    const previous = rel.revisions.at(-1);
    if (previous?.status === 'deployed') previous.status = 'superseded';
    const failure = (process.env.FAKE_HELM_FAIL ?? '')
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)])
      .find(([r]) => r === name);
    rel.revisions.push({
      revision: (previous?.revision ?? 0) + 1,
      updated: now(),
      status: failure ? 'failed' : 'deployed',
      description: failure
        ? `Release "${name}" failed: ${failure[1]}`
        : previous
          ? 'Upgrade complete'
          : 'Install complete',
      values: { files: values.length },
    });
    save(store);
    if (failure) fail(`${previous ? 'UPGRADE' : 'INSTALLATION'} FAILED: ${failure[1]}`);
    process.stdout.write(`${JSON.stringify(releaseJson(name, rel))}\n`);
    break;
  }
  case 'status': {
    const rel = store[key(name)];
    if (!rel) fail('release: not found');
    process.stdout.write(`${JSON.stringify(releaseJson(name, rel))}\n`);
    break;
  }
  case 'history': {
    const rel = store[key(name)];
    if (!rel) fail('release: not found');
    process.stdout.write(
      `${JSON.stringify(rel.revisions.map((r) => ({ revision: r.revision, updated: r.updated, status: r.status, chart: `${rel.chart}-0.1.0`, app_version: 'v1.0.0', description: r.description })))}\n`,
    );
    break;
  }
  case 'list': {
    const rows = Object.entries(store)
      .filter(([k]) => flags['--all-namespaces'] || k.startsWith(`${namespace}/`))
      .map(([k, rel]) => {
        const current = rel.revisions.at(-1);
        return {
          name: k.split('/')[1],
          namespace: k.split('/')[0],
          revision: String(current.revision),
          updated: goTime(current.updated),
          status: current.status,
          chart: `${rel.chart}-0.1.0`,
          app_version: 'v1.0.0',
        };
      });
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    break;
  }
  case 'test': {
    const rel = store[key(name)];
    if (!rel) fail('release: not found');
    const failed = (process.env.FAKE_HELM_TEST_FAIL ?? '').split(/[\s,]+/).includes(name);
    const started = new Date();
    rel.test = {
      started_at: started.toISOString(),
      completed_at: now(),
      phase: failed ? 'Failed' : 'Succeeded',
    };
    save(store);
    const ansic = (d) =>
      d
        .toUTCString()
        .replace(
          /^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/,
          (_, w, day, mon, y, t) => `${w} ${mon} ${day.padStart(2, ' ')} ${t} ${y}`,
        );
    const current = rel.revisions.at(-1);
    process.stdout.write(
      `NAME: ${name}\nLAST DEPLOYED: ${ansic(new Date(current.updated))}\nNAMESPACE: ${namespace}\nSTATUS: ${current.status}\nREVISION: ${current.revision}\n` +
        `TEST SUITE:     ${rel.chart}-test\nLast Started:   ${ansic(started)}\nLast Completed: ${ansic(new Date())}\nPhase:          ${failed ? 'Failed' : 'Succeeded'}\n`,
    );
    if (flags['--logs'])
      process.stdout.write(`\nPOD LOGS: ${rel.chart}-test\n+ rally task start /tmp/task.yaml\n`);
    if (failed) fail(`1 error occurred:\n\t* pod ${rel.chart}-test failed\n`);
    break;
  }
  case 'uninstall': {
    if (!store[key(name)]) fail(`uninstall: Release not loaded: ${name}: release: not found`);
    delete store[key(name)];
    save(store);
    process.stdout.write(`release "${name}" uninstalled\n`);
    break;
  }
  default:
    fail(`unknown command "${command}" for "helm"`);
}
