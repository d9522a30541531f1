/** The candidate label and the version it makes: semver 2 pre-release rules, OCI tag rules. */
import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import {
  candidateVersion,
  defaultCandidate,
  validateCandidate,
} from '../../actions/helm-rally/chart-publish.js';
import { UserError } from '../../actions/lib/errors.js';

const WHAT = "Input 'candidate'";

describe('validateCandidate', () => {
  it.each(['c.20261124.7', 'rc.1', '0', 'x-1.2-y', 'c.20261124.local-093012', '--'])('accepts %s', (c) => {
    expect(validateCandidate(c, WHAT)).toBe(c);
  });

  it.each([
    ['', /cannot be a semver pre-release/],
    ['c.01', /bad part: "01"/],
    ['c..7', /bad part: ""/],
    ['.c', /bad part: ""/],
    ['c_7', /bad part: "c_7"/],
    ['c+7', /bad part: "c\+7"/],
    ['c/7.0x', /bad part: "c\/7"/],
    ['00.007', /bad parts: "00", "007"/],
  ])('refuses %j naming the input', (c, why) => {
    expect(() => validateCandidate(c, WHAT)).toThrow(UserError);
    expect(() => validateCandidate(c, WHAT)).toThrow(why);
    expect(() => validateCandidate(c, WHAT)).toThrow(
      `${WHAT}: ${JSON.stringify(c)} cannot be a semver pre-release`,
    );
  });

  it('agrees with the semver package on every string of pre-release characters', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z.\-_+]{0,12}$/), (c) => {
        // Valid exactly when semver reads all of it as the pre-release (a '+' would start build metadata).
        const ok = semver.valid(`1.0.0-${c}`) !== null && semver.prerelease(`1.0.0-${c}`)!.join('.') === c;
        if (ok) expect(validateCandidate(c, WHAT)).toBe(c);
        else expect(() => validateCandidate(c, WHAT)).toThrow(UserError);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('candidateVersion', () => {
  it('appends the candidate as the pre-release, before build metadata', () => {
    expect(candidateVersion('0.3.1', 'c.20261124.7', 'Chart.yaml')).toBe('0.3.1-c.20261124.7');
    expect(candidateVersion('0.3.1-dev', 'c.1', 'Chart.yaml')).toBe('0.3.1-dev-c.1');
    expect(candidateVersion('2024.1.0+osh.7', 'c.1', 'Chart.yaml')).toBe('2024.1.0-c.1+osh.7');
  });

  it('refuses a Chart.yaml version that is not semver, naming the file', () => {
    expect(() => candidateVersion('0.3', 'c.1', 'charts/keystone/Chart.yaml')).toThrow(
      'charts/keystone/Chart.yaml: version "0.3" is not a semantic version',
    );
  });

  it('refuses a version whose tag would be longer than OCI allows, naming the candidate input', () => {
    expect(() => candidateVersion('0.3.1', `c.${'a'.repeat(125)}`, 'Chart.yaml')).toThrow(
      /^Input 'candidate': .* not a valid semver version or OCI tag/,
    );
  });

  it('any valid version and candidate give a valid pre-release that sorts below the release', () => {
    const identifier = fc.oneof(
      fc.nat({ max: 99999999 }).map(String),
      fc.stringMatching(/^[0-9]*[A-Za-z-][0-9A-Za-z-]{0,6}$/),
    );
    fc.assert(
      fc.property(
        fc.tuple(fc.nat(40), fc.nat(40), fc.nat(40)),
        fc.array(identifier, { minLength: 1, maxLength: 4 }),
        ([major, minor, patch], parts) => {
          const candidate = parts.join('.');
          const version = candidateVersion(`${major}.${minor}.${patch}`, candidate, 'Chart.yaml');
          expect(semver.valid(version)).toBe(version);
          expect(semver.prerelease(version)!.map(String)).toEqual(parts);
          expect(semver.lt(version, `${major}.${minor}.${patch}`)).toBe(true);
        },
      ),
    );
  });
});

describe('defaultCandidate', () => {
  const at = new Date('2026-11-24T09:05:03Z');
  it('c.<UTC yyyymmdd>.<GITHUB_RUN_NUMBER> in Actions', () => {
    expect(defaultCandidate({ GITHUB_RUN_NUMBER: '7' }, at)).toBe('c.20261124.7');
  });
  it('outside Actions: c.<yyyymmdd>.local-<hhmmss>, a valid pre-release despite leading zeros', () => {
    const c = defaultCandidate({}, at);
    expect(c).toBe('c.20261124.local-090503');
    expect(validateCandidate(c, WHAT)).toBe(c);
  });
});
