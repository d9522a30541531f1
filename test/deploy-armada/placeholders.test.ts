import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadManifest, ManifestError, substitutePlaceholders } from '../../actions/lib/armada/index.js';
import { chartDoc, groupDoc, HELM_TOOLKIT, manifestDoc, tempDir, writeFile } from './support.js';

const settings = (over = {}) => ({ variables: {}, tokens: {}, keep: [], ...over });

describe('placeholders', () => {
  it('fills ${NAME} textually, as envsubst does, so null and numbers keep their YAML meaning', () => {
    const text = 'a: ${CRUSH_TUNABLES}\nb: ${REPLICAS}\nc: ${NET}/24\n';
    const out = substitutePlaceholders(
      text,
      'm.yaml',
      settings({ variables: { CRUSH_TUNABLES: 'null', REPLICAS: '3', NET: '10.0.0.0' } }),
    );
    expect(out.text).toBe('a: null\nb: 3\nc: 10.0.0.0/24\n');
    expect([...out.used.keys()].sort()).toEqual(['CRUSH_TUNABLES', 'NET', 'REPLICAS']);
  });

  it("keeps the charts' own ${...} references and $${NAME} escapes, skips comments", () => {
    const text = '# ${NOT_A_PLACEHOLDER}\nformat: ${tag}\nhost: ${HOSTNAME}\nliteral: $${RELEASE_UUID}\n';
    const out = substitutePlaceholders(text, 'm.yaml', settings({ keep: ['tag', 'HOSTNAME'] }));
    expect(out.problems).toEqual([]);
    expect(out.text).toBe(
      '# ${NOT_A_PLACEHOLDER}\nformat: ${tag}\nhost: ${HOSTNAME}\nliteral: ${RELEASE_UUID}\n',
    );
  });

  it('replaces bare TACO tokens as whole words and reports the ones left', () => {
    const text = 'mon_host: TACO_MON_HOST\nkeyring: TACO_ADMIN_KEYRING\nother: TACO_MON_HOSTS_X\n';
    const out = substitutePlaceholders(
      text,
      'm.yaml',
      settings({ tokens: { TACO_MON_HOST: '10.0.0.1:6789' } }),
    );
    expect(out.text.split('\n')[0]).toBe('mon_host: 10.0.0.1:6789');
    expect(out.problems.map((p) => [p.line, p.column, p.message.split(':')[0]])).toEqual([
      [2, 10, 'placeholder TACO_ADMIN_KEYRING is not resolved'],
      [3, 8, 'placeholder TACO_MON_HOSTS_X is not resolved'],
    ]);
  });

  it('uses the environment only when allowed, and never a value with a line break', () => {
    const env = { OSH_PATH: '/opt/osh' };
    expect(substitutePlaceholders('p: ${OSH_PATH}\n', 'm', settings()).problems[0].message).toContain(
      '${OSH_PATH} is not resolved',
    );
    expect(
      substitutePlaceholders(
        'p: ${OSH_PATH}\n',
        'm',
        settings({ fallback: (n: string) => env[n as 'OSH_PATH'] }),
      ).text,
    ).toBe('p: /opt/osh\n');
    expect(
      substitutePlaceholders('p: ${X}\n', 'm', settings({ variables: { X: 'a\nb' } })).problems[0].message,
    ).toContain('line break');
  });

  it('never moves a line: errors found after substitution still point at the source', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom('a: ${A}', 'b: TACO_B', 'c: ${KEEP}', 'd: plain', '# ${C}', 'e: ${MISSING}'),
          { maxLength: 30 },
        ),
        fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)),
        (lines, value) => {
          const text = lines.join('\n');
          const out = substitutePlaceholders(
            text,
            'm',
            settings({ variables: { A: value }, tokens: { TACO_B: value }, keep: ['KEEP'] }),
          );
          expect(out.text.split('\n').length).toBe(text.split('\n').length);
          for (const problem of out.problems) expect(lines[problem.line - 1]).toContain('MISSING');
        },
      ),
    );
  });

  it('names the document of an unresolved placeholder and stops before deploying it', () => {
    const text = [
      HELM_TOOLKIT,
      chartDoc({
        name: 'ceph-config',
        data: {
          values: {
            network: { public: '${CEPH_NETWORK}' },
            conf: { ceph: { global: { mon_host: 'TACO_MON_HOST' } } },
          },
        },
      }),
      groupDoc('g', ['ceph-config'], true),
      manifestDoc('m', ['g']),
    ].join('');
    const file = writeFile(tempDir(), 'ceph.yaml', text);
    let error: ManifestError | undefined;
    try {
      loadManifest({ files: [file], placeholders: settings() });
    } catch (err) {
      error = err as ManifestError;
    }
    expect(error?.problems.map((p) => [p.document, p.message.split(' is ')[0]])).toEqual([
      ['Chart ceph-config', 'placeholder ${CEPH_NETWORK}'],
      ['Chart ceph-config', 'placeholder TACO_MON_HOST'],
    ]);
    const loaded = loadManifest({
      files: [file],
      placeholders: settings({
        variables: { CEPH_NETWORK: '10.0.0.0/24' },
        tokens: { TACO_MON_HOST: '10.0.0.1' },
      }),
    });
    expect(loaded.model.groups[0].charts[0].values).toEqual({
      network: { public: '10.0.0.0/24' },
      conf: { ceph: { global: { mon_host: '10.0.0.1' } } },
    });
  });
});
