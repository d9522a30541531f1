import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mayKill, readyFloor } from '../../actions/cookiemonster/guard.js';
import { parseLegacyConfig, readLegacyConfig } from '../../actions/cookiemonster/legacy-config.js';
import { Prng } from '../../actions/cookiemonster/prng.js';
import {
  allowedNamespaces,
  applyNamespacePolicy,
  parseTargets,
} from '../../actions/cookiemonster/targets.js';
import { parseLabelSelector, selectorToString } from '../../actions/lib/kube/selector.js';

const example = path.join(import.meta.dirname, '..', 'fixtures', 'cookiemonster', 'config.yaml');
const where = (i: number, k?: string) => `targets${i >= 0 ? `[${i}]` : ''}${k ? `.${k}` : ''}`;

describe('the original cookiemonster config.yaml', () => {
  it('maps the example onto native targets: empty name = one random controller, target = pods per tick', () => {
    const config = readLegacyConfig(example);
    expect(config.namespaces).toEqual(['openstack']);
    expect(config.intervalMs).toBe(60_000);
    expect(config.durationMs).toBe(600_000);
    expect(config.targets.map((t) => [t.kind, t.name, t.pickOne, t.podsPerTick, t.quorum])).toEqual([
      ['Deployment', undefined, true, 1, undefined],
      ['DaemonSet', undefined, true, 1, undefined],
      ['StatefulSet', 'mariadb', false, 1, true],
      ['StatefulSet', 'rabbitmq', false, 1, true],
    ]);
    expect(config.warnings).toEqual([expect.stringContaining('slack (notifications) is ignored')]);
  });

  it('reads keys case-insensitively as viper did, and names the file and key of a bad value', () => {
    const ok = parseLegacyConfig(
      'Namespace:\n- Name: infra\n  Resource:\n  - {Kind: StatefulSet, Name: etcd, Target: 2}\nInterval: 5\nextra: 1\n',
      'c.yaml',
    );
    expect(ok.targets[0]).toMatchObject({
      namespace: 'infra',
      kind: 'StatefulSet',
      name: 'etcd',
      podsPerTick: 2,
    });
    expect(ok.warnings).toEqual(['config c.yaml: key extra is not a cookiemonster setting; ignored']);
    expect(() =>
      parseLegacyConfig('namespace:\n- name: x\n  resource:\n  - {kind: pod, target: 1}\n', 'c.yaml'),
    ).toThrow(
      'config c.yaml: namespace[0].resource[0].kind: expected deployment, statefulset or daemonset, got "pod"',
    );
    expect(() => parseLegacyConfig('interval: 5\n', 'c.yaml')).toThrow(
      'config c.yaml: namespace: expected a list of {name, resource}',
    );
    expect(() =>
      parseLegacyConfig('namespace:\n- name: x\n  resource: []\ninterval: soon\n', 'c.yaml'),
    ).toThrow('interval: expected seconds');
    expect(() => readLegacyConfig('/nonexistent/config.yaml')).toThrow(
      'config /nonexistent/config.yaml: cannot read it (ENOENT)',
    );
    expect(readFileSync(example, 'utf8')).toContain('slack: true');
  });
});

describe('native targets', () => {
  it('parses kinds, selectors, excludes and guard settings, with defaults', () => {
    const [a, b] = parseTargets(
      [
        { kind: 'statefulsets', name: 'mariadb-server' },
        {
          kind: 'ds',
          selector: 'application in (nova,neutron),!canary',
          exclude: ['ovs-agent'],
          pick: 'random',
          'pods-per-tick': 2,
          'min-ready': 2,
        },
      ],
      where,
      { slack: 1 },
    );
    expect(a).toMatchObject({
      kind: 'StatefulSet',
      name: 'mariadb-server',
      quorum: true,
      slack: 1,
      podsPerTick: 1,
      pickOne: false,
    });
    expect(b).toMatchObject({
      kind: 'DaemonSet',
      exclude: ['ovs-agent'],
      pickOne: true,
      podsPerTick: 2,
      minReady: 2,
      quorum: undefined,
    });
  });

  it('rejects bad targets with the item and key', () => {
    expect(() => parseTargets({ kind: 'Deployment' }, where)).toThrow('targets: expected a list of targets');
    expect(() => parseTargets([{ kind: 'Pod' }], where)).toThrow(
      'targets[0].kind: expected Deployment, StatefulSet or DaemonSet, got "Pod"',
    );
    expect(() => parseTargets([{ kind: 'Deployment', name: 'a', selector: 'b=c' }], where)).toThrow(
      'targets[0]: give either name or selector',
    );
    expect(() => parseTargets([{ kind: 'Deployment', replicas: 2 }], where)).toThrow(
      'targets[0].replicas: unknown key',
    );
    expect(() => parseTargets([{ kind: 'Deployment', 'pods-per-tick': 0 }], where)).toThrow(
      'targets[0].pods-per-tick: expected an integer ≥ 1, got 0',
    );
    expect(() => parseTargets([{ kind: 'Deployment', selector: 'a in b' }], where)).toThrow(
      'targets[0].selector: not a label selector term',
    );
  });

  it('never allows kube-system and drops targets in unlisted namespaces', () => {
    expect(() => allowedNamespaces(['openstack', 'kube-system'], [], 'namespaces')).toThrow(
      'namespaces: kube-system can never be a chaos namespace',
    );
    expect(() => allowedNamespaces([], parseTargets([{ kind: 'Deployment' }], where), 'namespaces')).toThrow(
      'no namespace given',
    );
    const targets = parseTargets(
      [
        { kind: 'Deployment', namespace: 'ceph' },
        { kind: 'Deployment', namespace: 'kube-system' },
        { kind: 'Deployment' },
      ],
      where,
    );
    const result = applyNamespacePolicy(targets, ['openstack']);
    expect(result.targets).toHaveLength(1);
    expect(result.warnings).toEqual([
      'targets[0]: namespace ceph is not in the namespaces list (openstack); target skipped',
      'targets[1]: namespace kube-system is never disrupted; target skipped',
    ]);
  });
});

describe('guard', () => {
  it('computes the floor from min-ready, quorum and slack, the strictest winning', () => {
    expect(readyFloor({}, 3)).toBe(1);
    expect(readyFloor({ quorum: true }, 3)).toBe(2);
    expect(readyFloor({ quorum: true }, 4)).toBe(3);
    expect(readyFloor({ slack: 1 }, 5)).toBe(4);
    expect(readyFloor({ minReady: 3, quorum: true }, 3)).toBe(3);
    expect(mayKill({ quorum: true }, 3, 3)).toEqual({ allowed: true, floor: 2 });
    expect(mayKill({ quorum: true }, 3, 2)).toEqual({
      allowed: false,
      floor: 2,
      reason: '2 of 3 Ready, floor 2 (quorum)',
    });
    expect(mayKill({}, 1, 1).allowed).toBe(false);
  });
});

describe('seeded PRNG', () => {
  it('is reproducible per seed and label, and spreads', () => {
    const a = Array.from({ length: 5 }, () => Prng.derive('s', 'tick', 1).int(1000));
    expect(new Set(a).size).toBe(1);
    const seq = (seed: string) => {
      const p = new Prng(seed);
      return Array.from({ length: 20 }, () => p.int(10));
    };
    expect(seq('1')).toEqual(seq('1'));
    expect(seq('1')).not.toEqual(seq('2'));
    const counts = new Array(4).fill(0);
    const p = new Prng('uniform');
    for (let i = 0; i < 4000; i++) counts[p.int(4)]++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
  });
});

describe('label selectors', () => {
  it('round-trips matchLabels and matchExpressions', () => {
    const text = selectorToString({
      matchLabels: { app: 'nova' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['api', 'conductor'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(text).toBe('app=nova,tier in (api,conductor),!canary');
    const match = parseLabelSelector(text);
    expect(match({ app: 'nova', tier: 'api' })).toBe(true);
    expect(match({ app: 'nova', tier: 'api', canary: 'x' })).toBe(false);
    expect(match({ app: 'nova', tier: 'db' })).toBe(false);
    expect(parseLabelSelector('a!=b')({ a: 'c' })).toBe(true);
  });
});
