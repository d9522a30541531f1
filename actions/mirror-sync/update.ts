import picomatch from 'picomatch';
import type { RepoCache } from '../lib/git/cache.js';
import { fetchRefs } from '../lib/git/fetch.js';
import { GitError, gitComplaint } from '../lib/git/git.js';
import { basicAuthHeader } from '../lib/git/auth.js';
import { isLostRace, type LeasedUpdate, type PushRefResult, pushWithLeases } from '../lib/git/push.js';
import { pushClonedPack } from '../lib/git/receive-pack-http.js';
import { countNewCommits, describeObjects, isAncestor, localRefs } from '../lib/git/refs.js';
import { type Candidate, decideUpdate, type UpdateKind } from './classify.js';
import type { MirrorSyncConfig } from './config.js';
import { normalizePattern, refKind } from './ref-patterns.js';
import { isRemoteFailure, remoteError } from './remote-errors.js';
import type { GateResult, RefAction, RefResult, Session } from './sync.js';

/**
 * The stages of a sync that changes the mirror, each returning what it found:
 * fetch → resolve → decide → (gate, in sync.ts) → plan the push → push, and the commit count.
 */

/** Refs a stage settled, and why the step must fail (one line per problem). */
export interface Settled {
  results: RefResult[];
  failures: string[];
}

/** An update that passed the safety checks: it waits for its gate, then is pushed. */
export interface Pending {
  candidate: Candidate;
  kind: UpdateKind;
  /** The commit the gate checks (undefined: the ref names no commit, e.g. a tag of a tree). */
  commit?: string;
  gate: GateResult;
  reason?: string;
}

export function refResult(
  ref: string,
  old: string | null | undefined,
  value: string | null | undefined,
  action: RefAction,
): RefResult {
  return { ref, old: old ?? null, new: value ?? null, commits: null, gate: 'none', action };
}

/**
 * Fetches every candidate into the cache under its own name. An empty cache whose selection is
 * exactly the upstream's branches and tags is filled by one clone; otherwise one incremental fetch
 * by the listed object ids (the cache's refs are the negotiation's "haves"; git asks the remote
 * nothing when the cache has them all), by ref name should an id be gone upstream already.
 * Returns whether the values must be read back by ref name.
 */
export async function fetchCandidates(
  session: Session,
  cache: RepoCache,
  candidates: readonly Candidate[],
  cloneable: boolean,
): Promise<{ byName: boolean }> {
  const { config, environment, upstreamGit } = session;
  if (candidates.length === 0) return { byName: false };
  let byName = false;
  try {
    if (cloneable && (await cache.isEmpty())) {
      environment.info(`Cloning the upstream into the empty cache (${candidates.length} ref(s) to sync)`);
      await cache.seedByClone(upstreamGit, config.upstream, { progress: environment.info });
      byName = true;
    } else {
      environment.info(`Fetching ${candidates.length} ref(s) from the upstream`);
      const fetch = (from: (c: Candidate) => string) =>
        fetchRefs(
          upstreamGit,
          cache.dir,
          config.upstream,
          candidates.map((c) => ({ from: from(c), to: c.ref })),
          { progress: environment.info },
        );
      await fetch((c) => c.new).catch(async (err: unknown) => {
        if (!(err instanceof GitError) || isRemoteFailure(err)) throw err;
        environment.info(
          `Fetching by object id failed (${gitComplaint(err.result, upstreamGit.secrets)}); fetching by ref name`,
        );
        byName = true;
        await fetch((c) => c.ref);
      });
    }
  } catch (err) {
    if (isRemoteFailure(err)) throw remoteError(err, session.upstreamSide, upstreamGit.secrets);
    throw err;
  }
  session.fetched = true;
  await cache.maintain();
  return { byName };
}

/** The candidates as the cache now has them, and what is known about the mirror's old values. */
export interface Resolved {
  /** Values as fetched (a ref fetched by name may have moved on since the listing). */
  candidates: Candidate[];
  /** Refs whose value the upstream no longer has. */
  vanished: Set<string>;
  /** ref → the commit its value names. */
  commitOf: Map<string, string | undefined>;
  /** The mirror's values the cache holds. */
  present: Set<string>;
  /** Old mirror values neither side could provide (the mirror ref changed meanwhile). */
  missingOld: Set<string>;
  /** ref → whether the update is a fast-forward (updates of non-tags only). */
  fastForward: Map<string, boolean>;
}

/**
 * One cat-file reads each candidate's value and commit and which mirror values the cache holds;
 * the few old values it lacks are fetched from the mirror, then each update of a branch is checked
 * for a fast-forward.
 */
export async function resolveCandidates(
  session: Session,
  cache: RepoCache,
  candidates: readonly Candidate[],
  mirrorTips: readonly string[],
  byName: boolean,
): Promise<Resolved> {
  const { base, environment } = session;
  const nameOf = (c: Candidate) => (byName ? c.ref : c.new);
  const now = await describeObjects(base, cache.dir, [
    ...candidates.flatMap((c) => [nameOf(c), `${nameOf(c)}^{commit}`]),
    ...mirrorTips,
  ]);
  const vanished = new Set<string>();
  const commitOf = new Map<string, string | undefined>();
  const resolved = candidates.flatMap((c) => {
    const value = now.get(nameOf(c))?.oid;
    if (!value) {
      vanished.add(c.ref);
      return [c];
    }
    if (value !== c.new)
      environment.info(
        `${c.ref} moved upstream during the sync: taking ${value.slice(0, 12)} instead of ${c.new.slice(0, 12)}`,
      );
    commitOf.set(c.ref, now.get(`${nameOf(c)}^{commit}`)?.oid);
    return [{ ...c, new: value }];
  });
  const present = new Set(mirrorTips.filter((oid) => now.get(oid)));
  const updates = resolved.filter(
    (c) => c.old !== undefined && refKind(c.ref) !== 'tag' && !vanished.has(c.ref),
  );
  const missingOld = await fetchMissingOld(session, cache, updates, present);
  const fastForward = new Map(
    await Promise.all(
      updates
        .filter((c) => !missingOld.has(c.old!))
        .map(async (c) => [c.ref, await isAncestor(base, cache.dir, c.old!, c.new)] as const),
    ),
  );
  return { candidates: resolved, vanished, commitOf, present, missingOld, fastForward };
}

/**
 * Fetches from the mirror the old values of `updates` the cache lacks (the mirror may have
 * commits the upstream never had); adds those found to `present` and returns the rest.
 */
async function fetchMissingOld(
  session: Session,
  cache: RepoCache,
  updates: readonly Candidate[],
  present: Set<string>,
): Promise<Set<string>> {
  const missing = new Set(updates.filter((c) => !present.has(c.old!)).map((c) => c.old!));
  if (missing.size === 0) return missing;
  const refs = updates.filter((c) => missing.has(c.old!));
  session.environment.info(
    `Fetching ${refs.length} ref(s) from the mirror whose values the upstream does not have`,
  );
  try {
    await fetchRefs(
      session.mirrorGit,
      cache.dir,
      session.config.mirror,
      refs.map((c) => ({ from: c.ref, to: `refs/mirror-sync/mirror/${c.ref.slice(5)}` })),
    );
  } catch (err) {
    if (isRemoteFailure(err)) throw remoteError(err, session.mirrorSide, session.mirrorGit.secrets);
    throw err;
  }
  const found = await describeObjects(session.base, cache.dir, missing);
  for (const oid of missing) if (found.get(oid)) present.add(oid);
  return new Set([...missing].filter((oid) => !present.has(oid)));
}

/** Safety: a fast-forward, or a force the configuration allows; otherwise refused. */
export function decideCandidates(
  config: MirrorSyncConfig,
  resolved: Resolved,
): Settled & { pending: Pending[] } {
  const forceAllowed = picomatch(config.allowForce.map(normalizePattern), { dot: true });
  const settled: Settled & { pending: Pending[] } = { results: [], failures: [], pending: [] };
  const settle = (c: Candidate, action: RefAction, reason: string, failure: string) => {
    settled.results.push({ ...refResult(c.ref, c.old, c.new, action), reason });
    settled.failures.push(`${c.ref}: ${failure}`);
  };
  for (const candidate of resolved.candidates) {
    if (resolved.vanished.has(candidate.ref)) {
      settle(
        candidate,
        'push-failed',
        'the upstream no longer has this value',
        'vanished upstream while syncing',
      );
      continue;
    }
    if (candidate.old !== undefined && resolved.missingOld.has(candidate.old)) {
      settle(
        candidate,
        'lost-race',
        'the mirror ref changed while syncing',
        'changed on the mirror while syncing (lost race); nothing was overwritten',
      );
      continue;
    }
    const decision = decideUpdate(
      candidate,
      resolved.fastForward.get(candidate.ref),
      forceAllowed(candidate.ref),
    );
    if (decision.kind === 'refused') {
      // Printed once, with the other failures, when the run ends.
      settle(candidate, 'refused', decision.reason!, `refused, ${decision.reason}`);
      continue;
    }
    settled.pending.push({
      candidate,
      kind: decision.kind,
      commit: resolved.commitOf.get(candidate.ref),
      gate: config.gate || config.gated ? 'not-run' : 'none',
    });
  }
  return settled;
}

/** One ref the push will set or delete, and where its report line comes from. */
export interface PlannedUpdate {
  ref: string;
  kind: UpdateKind | 'delete';
  old: string | undefined;
  new: string | undefined;
  pending?: Pending;
}

/**
 * Which gated updates and prunes go into the push; the others are settled here (gate failed,
 * skipped by fail-fast, waiting for the gate job, a deletion the gate job did not approve).
 */
export function planPush(
  session: Session,
  pending: readonly Pending[],
  deletions: readonly { ref: string; old: string }[],
  stopped: boolean,
): Settled & { updates: PlannedUpdate[] } {
  const { config } = session;
  const plan: Settled & { updates: PlannedUpdate[] } = { results: [], failures: [], updates: [] };
  for (const p of pending) {
    const { ref, old, new: value } = p.candidate;
    if (!stopped && (p.gate === 'passed' || p.gate === 'none')) {
      plan.updates.push({ ref, kind: p.kind, old, new: value, pending: p });
    } else if (p.gate === 'failed' || p.gate === 'timed-out' || p.gate === 'cancelled') {
      const tail = session.gates.get(p.commit!)?.tail;
      plan.results.push({ ...refResult(ref, old, value, 'gate-failed'), gate: p.gate, reason: p.reason });
      plan.failures.push(
        `${ref}: ${p.reason} on ${p.commit!.slice(0, 12)}${tail ? `:\n${indent(tail)}` : ''}`,
      );
    } else {
      plan.results.push({
        ...refResult(ref, old, value, 'skipped'),
        gate: p.gate,
        reason: p.reason ?? 'not pushed: fail-fast stopped at an earlier failed gate',
      });
      if (config.gated) plan.failures.push(`${ref}: ${p.reason}; the next run gates it`);
    }
  }
  const approved = (ref: string) =>
    !config.gated || (config.gated.has(ref) && config.gated.get(ref) === null);
  for (const d of deletions) {
    if (stopped)
      plan.results.push({
        ...refResult(d.ref, d.old, null, 'skipped'),
        reason: 'not deleted: fail-fast stopped at a failed gate',
      });
    else if (!approved(d.ref))
      plan.results.push({
        ...refResult(d.ref, d.old, null, 'kept'),
        reason: 'not deleted: the gate job did not approve it',
      });
    else plan.updates.push({ ref: d.ref, kind: 'delete', old: d.old, new: undefined });
  }
  if (stopped) plan.failures.push('fail-fast: nothing was pushed because a gate failed');
  return plan;
}

/**
 * Pushes every planned update in one `git push`, each ref leased on the value the mirror had
 * (`--force-with-lease=<ref>:<old>`): a ref another writer changed meanwhile is left alone and
 * reported as a lost race. A dry run only reports what it would do.
 */
export async function pushPlanned(
  session: Session,
  cache: RepoCache,
  updates: readonly PlannedUpdate[],
): Promise<Settled> {
  const { config, environment, mirrorGit } = session;
  const line = (u: PlannedUpdate, action: RefAction): RefResult => ({
    ...refResult(u.ref, u.old, u.new, action),
    gate: u.pending?.gate ?? 'none',
    reason: u.pending?.reason,
  });
  if (updates.length === 0) return { results: [], failures: [] };
  if (config.dryRun) return { results: updates.map((u) => line(u, DRY_RUN[u.kind])), failures: [] };
  environment.info(`Pushing ${updates.length} ref update(s) to the mirror`);
  const leased: LeasedUpdate[] = updates.map((u) => ({ ref: u.ref, expect: u.old, value: u.new }));
  let pushed;
  try {
    pushed =
      (await pushCreatesAsCloned(session, cache, leased)) ??
      (await pushWithLeases(mirrorGit, cache.dir, config.mirror, leased, {
        progress: environment.info,
      }));
  } catch (err) {
    if (isRemoteFailure(err)) throw remoteError(err, session.mirrorSide, mirrorGit.secrets);
    throw err;
  }
  const byRef = new Map(updates.map((u) => [u.ref, u]));
  const settled: Settled = { results: [], failures: [] };
  for (const outcome of pushed) {
    const done = line(byRef.get(outcome.ref)!, DONE[byRef.get(outcome.ref)!.kind]);
    if (outcome.status === 'ok') settled.results.push(done);
    else if (outcome.status === 'up-to-date')
      settled.results.push({ ...done, action: 'unchanged', reason: 'already up to date on the mirror' });
    else if (isLostRace(outcome)) {
      settled.results.push({
        ...done,
        action: 'lost-race',
        reason: `the mirror ref changed during the sync, nothing overwritten (${outcome.summary})`,
      });
      settled.failures.push(
        `${outcome.ref}: lost a race with another writer to the mirror (${outcome.summary}); nothing was overwritten, run the sync again`,
      );
    } else {
      settled.results.push({ ...done, action: 'push-failed', reason: outcome.summary });
      settled.failures.push(`${outcome.ref}: the mirror refused the push (${outcome.summary})`);
    }
  }
  return settled;
}

/**
 * A first sync into an empty mirror over HTTP(S), where every ref of the freshly cloned cache is
 * to be created with its cache value: the clone's pack goes to the mirror as it is, in one request
 * (lib/git/receive-pack-http.ts), instead of git push building it again. Undefined: not that case.
 */
async function pushCreatesAsCloned(
  session: Session,
  cache: RepoCache,
  leased: readonly LeasedUpdate[],
): Promise<PushRefResult[] | undefined> {
  const { config, environment, mirrorSide } = session;
  const creates = leased.flatMap((u) =>
    u.expect === undefined && u.value ? [{ ref: u.ref, value: u.value }] : [],
  );
  if (creates.length !== leased.length) return undefined;
  const results = await pushClonedPack(
    cache.dir,
    config.mirror,
    creates,
    () => localRefs(session.base, cache.dir),
    {
      authorization:
        mirrorSide.hasToken && config.mirrorToken ? basicAuthHeader(config.mirrorToken) : undefined,
      env: environment.env,
      signal: environment.signal,
      progress: environment.info,
    },
  );
  if (!results)
    environment.debug(
      'Pushing with git push: the mirror has refs, or the cache is not one pack of exactly these refs',
    );
  return results;
}

const DONE = { create: 'created', 'fast-forward': 'updated', force: 'forced', delete: 'deleted' } as const;
const DRY_RUN = {
  create: 'would-create',
  'fast-forward': 'would-update',
  force: 'would-force',
  delete: 'would-delete',
} as const;

/**
 * How many commits each pending update brings: commits that none of the mirror's values (those in
 * the cache) reach, in one `rev-list`. Only the report shows the numbers, so a failure to count
 * is a warning and the counts are then absent, never a reason to hold back the push.
 */
export async function countBrought(
  session: Session,
  cache: RepoCache,
  pending: readonly Pending[],
  present: ReadonlySet<string>,
): Promise<Map<string, number> | undefined> {
  const tips = pending.flatMap((p) => (p.commit ? [p.commit] : []));
  try {
    return await countNewCommits(session.base, cache.dir, tips, [...present]);
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    session.environment.warning(
      `Could not count the new commits (the report shows none): ${gitComplaint(err.result, session.base.secrets)}`,
    );
    return undefined;
  }
}

/** The results with the commits each pending update brings. */
export function withCommits(
  results: readonly RefResult[],
  pending: readonly Pending[],
  counts: ReadonlyMap<string, number> | undefined,
): RefResult[] {
  const commitOf = new Map(pending.map((p) => [p.candidate.ref, p.commit]));
  return results.map((r) => {
    const commit = commitOf.get(r.ref);
    return commit === undefined ? r : { ...r, commits: counts?.get(commit) ?? null };
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
