import path from 'node:path';
import picomatch from 'picomatch';
import { JobFailure, UserError } from '../lib/errors.js';
import {
  basicAuthHeader,
  type GitAuthEnv,
  httpTokenEnv,
  type SshKeyFile,
  writeSshKey,
} from '../lib/git/auth.js';
import { CacheLockedError, openRepoCache, type RepoCache } from '../lib/git/cache.js';
import { fetchRefs } from '../lib/git/fetch.js';
import { Git, GitError, gitComplaint } from '../lib/git/git.js';
import { canListInProcess, lsRefsHttp } from '../lib/git/ls-refs-http.js';
import { isLoopbackHost } from '../lib/http/loopback.js';
import { isLostRace, type LeasedUpdate, pushWithLeases } from '../lib/git/push.js';
import { countNewCommits, describeObjects, isAncestor, lsRemote } from '../lib/git/refs.js';
import { type Candidate, classify, decideUpdate, type UpdateKind } from './classify.js';
import type { MirrorSyncConfig } from './config.js';
import { urlKind } from './config.js';
import { type GateOutcome, runGate } from './gate.js';
import { chooseSandbox, type GateSandbox } from './gate-sandbox.js';
import type { GatedRefs } from './gated.js';
import { pinnedTransportConfig, UNTRUSTED_REPO_CONFIG } from '../lib/git/isolation.js';
import { normalizePattern, refKind, refSelector } from './ref-patterns.js';
import { isRemoteFailure, remoteError, type RemoteSide } from './remote-errors.js';
import { cacheKey, readState, stateFile, writeState } from './state.js';

/** What happened to one ref. */
export type RefAction =
  | 'unchanged'
  | 'created'
  | 'updated'
  | 'forced'
  | 'deleted'
  | 'would-create'
  | 'would-update'
  | 'would-force'
  | 'would-delete'
  | 'refused'
  | 'gate-failed'
  | 'skipped'
  | 'lost-race'
  | 'push-failed'
  | 'kept'
  | 'untouched';

/** Gate result of a ref: `none` when no gate is configured or the ref needs none (deletion, unchanged). */
export type GateResult = 'passed' | 'failed' | 'timed-out' | 'cancelled' | 'not-run' | 'none';

export interface RefResult {
  ref: string;
  /** The mirror's value before the sync (null: absent). */
  old: string | null;
  /** The upstream value (null: absent upstream). */
  new: string | null;
  /** Commits `new` brings that the mirror did not have (null when not counted). */
  commits: number | null;
  gate: GateResult;
  action: RefAction;
  reason?: string;
}

export interface SyncReport {
  name: string;
  upstream: string;
  mirror: string;
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  /** True when the mirror was (or in a dry run would be) changed. */
  changed: boolean;
  /** True when objects were fetched from the upstream (false for a no-change run). */
  fetched: boolean;
  cache: { dir: string; recovery: string[] };
  refs: RefResult[];
  /** Gate runs, one per distinct commit. */
  gates: GateOutcome[];
  /** Why the step fails, one line per problem; empty when everything went through. */
  failures: string[];
}

export interface SyncEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  tempDir: string;
  signal?: AbortSignal;
  secrets?: readonly string[];
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Called with the key directory once an SSH key is on disk (the action saves it for its post step). */
  onSshKey?(dir: string): void;
}

const PUSHED: Partial<Record<RefAction, true>> = {
  created: true,
  updated: true,
  forced: true,
  deleted: true,
};
const FAILED: Partial<Record<RefAction, true>> = {
  refused: true,
  'gate-failed': true,
  'lost-race': true,
  'push-failed': true,
  skipped: true,
};

/** A cache problem was found and repaired: the sync starts over once. */
class CacheRepaired extends Error {}

/**
 * Synchronises the selected refs of `config.upstream` onto `config.mirror`: two ls-remotes, and
 * only when something differs, an incremental fetch into the persistent cache, safety checks,
 * the gate per changed commit, and one leased push.
 */
export async function syncMirror(
  config: MirrorSyncConfig,
  environment: SyncEnvironment,
): Promise<SyncReport> {
  const started = Date.now();
  const credentials = await prepareCredentials(config, environment);
  // Every command may work on the cache, which a gate may have written to.
  const base = new Git({
    env: environment.env,
    secrets: [...(environment.secrets ?? []), ...credentials.secrets],
    signal: environment.signal,
    log: environment.debug,
    config: UNTRUSTED_REPO_CONFIG,
  });
  const session: Session = {
    config,
    environment,
    base,
    credentials,
    ...remoteGits(base, credentials, config, environment.env),
    upstreamSide: side(config, 'upstream'),
    mirrorSide: side(config, 'mirror'),
    gates: new Map(),
    fetched: false,
  };
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const report = await attemptSync(session);
        return { ...report, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started };
      } catch (err) {
        if (err instanceof CacheRepaired && attempt === 1) {
          environment.warning(
            `The cache of ${config.name} was broken and has been repaired (${err.message}); starting the sync again.`,
          );
          continue;
        }
        if (err instanceof CacheRepaired)
          throw new JobFailure(
            `The cache ${session.cache?.dir} is still broken after a rebuild: ${err.message}`,
          );
        throw err;
      }
    }
  } finally {
    await session.cache?.release();
    await credentials.dispose();
  }
}

/** The runners that talk to each side: its credentials, and -c settings that pin its transport. */
function remoteGits(
  base: Git,
  credentials: Credentials,
  config: MirrorSyncConfig,
  env: SyncEnvironment['env'],
): { upstreamGit: Git; mirrorGit: Git } {
  const pinned = (url: string) => pinnedTransportConfig(url, env);
  return {
    upstreamGit: base.withAuth(credentials.upstream).withConfig(pinned(config.upstream)),
    mirrorGit: base.withAuth(credentials.mirror).withConfig(pinned(config.mirror)),
  };
}

interface Session {
  config: MirrorSyncConfig;
  environment: SyncEnvironment;
  base: Git;
  credentials: Credentials;
  /** Where gates run, chosen at the first gate. */
  sandbox?: GateSandbox;
  upstreamGit: Git;
  mirrorGit: Git;
  upstreamSide: RemoteSide;
  mirrorSide: RemoteSide;
  cache?: RepoCache;
  /** Gate outcomes by commit: a repeated attempt does not run a gate twice. */
  gates: Map<string, GateOutcome>;
  fetched: boolean;
}

function side(config: MirrorSyncConfig, role: 'upstream' | 'mirror'): RemoteSide {
  const url = role === 'upstream' ? config.upstream : config.mirror;
  return {
    role,
    url,
    tokenInput: `${role}-token`,
    hasToken:
      urlKind(url) === 'http' && Boolean(role === 'upstream' ? config.upstreamToken : config.mirrorToken),
    hasSshKey: urlKind(url) === 'ssh' && Boolean(config.sshKey),
  };
}

interface Credentials {
  upstream?: GitAuthEnv;
  mirror?: GitAuthEnv;
  secrets: string[];
  /** Takes the SSH key off the disk while a gate runs. */
  withdraw(): Promise<void>;
  /** Writes it again (under a new name) for the push. */
  restore(): Promise<void>;
  dispose(): Promise<void>;
}

async function prepareCredentials(
  config: MirrorSyncConfig,
  environment: SyncEnvironment,
): Promise<Credentials> {
  let sshKey: SshKeyFile | undefined;
  const forSide = (url: string, token: string | undefined, input: string): GitAuthEnv | undefined => {
    const kind = urlKind(url);
    if (kind === 'http' && token) {
      const host = new URL(url).hostname;
      if (url.startsWith('http:') && !isLoopbackHost(host)) {
        throw new UserError(
          `Input '${input}': refusing to send a token over plain http to ${host}; use https`,
        );
      }
      return httpTokenEnv(token, { scopeUrl: url, baseEnv: environment.env });
    }
    if (token) environment.warning(`Input '${input}' is ignored: ${url} is not an HTTPS URL`);
    if (kind === 'ssh') return sshKey;
    return undefined;
  };
  if (config.sshKey && [config.upstream, config.mirror].some((u) => urlKind(u) === 'ssh')) {
    try {
      sshKey = await writeSshKey(config.sshKey, environment.tempDir);
    } catch (err) {
      throw new UserError(`Input 'ssh-key': ${(err as Error).message}`);
    }
    environment.onSshKey?.(sshKey.dir);
  } else if (config.sshKey) {
    environment.warning(
      `Input 'ssh-key' is ignored: neither ${config.upstream} nor ${config.mirror} is an SSH URL`,
    );
  }
  try {
    const upstream = forSide(config.upstream, config.upstreamToken, 'upstream-token');
    const mirror = forSide(config.mirror, config.mirrorToken, 'mirror-token');
    return {
      upstream,
      mirror,
      secrets: [...(upstream?.secrets ?? []), ...(mirror?.secrets ?? [])],
      withdraw: async () => sshKey?.withdraw(),
      restore: async () => {
        if (!sshKey) return;
        await sshKey.restore();
        environment.onSshKey?.(sshKey.dir);
      },
      dispose: async () => sshKey?.dispose(),
    };
  } catch (err) {
    await sshKey?.dispose();
    throw err;
  }
}

/**
 * The refs of one side: over HTTP(S) one in-process protocol v2 `ls-refs` request (no git
 * process at all, which is most of what a no-change sync costs); `git ls-remote` for other
 * transports and whenever that request does not get a clean answer (it then also words the error).
 */
async function listRemote(
  session: Session,
  git: Git,
  sideInfo: RemoteSide,
  scope: { heads: boolean; tags: boolean } | undefined,
): Promise<Map<string, string>> {
  const { config, environment } = session;
  const token = sideInfo.role === 'upstream' ? config.upstreamToken : config.mirrorToken;
  if (canListInProcess(sideInfo.url, environment.env)) {
    environment.debug(`ls-refs ${sideInfo.url} (protocol v2 over HTTP, in process)`);
    const refs = await lsRefsHttp(sideInfo.url, {
      authorization: sideInfo.hasToken && token ? basicAuthHeader(token) : undefined,
      only: scope,
      env: environment.env,
      signal: environment.signal,
    });
    if (refs) return refs;
    environment.debug(`ls-refs ${sideInfo.url}: no clean protocol v2 answer, asking git ls-remote`);
  }
  try {
    return await lsRemote(git, sideInfo.url, { only: scope });
  } catch (err) {
    throw remoteError(err, sideInfo, git.secrets);
  }
}

async function attemptSync(session: Session): Promise<Omit<SyncReport, 'startedAt' | 'durationMs'>> {
  const { config, environment } = session;
  const selector = refSelector(config.refs, config.excludeRefs);
  const [upstream, mirror] = bothOrReport(
    await Promise.allSettled([
      listRemote(session, session.upstreamGit, session.upstreamSide, selector.scope),
      listRemote(session, session.mirrorGit, session.mirrorSide, selector.scope),
    ]),
  );
  const statePath = stateFile(config.cacheDir, config.name, config.upstream, config.mirror);
  const state = await readState(statePath, config.upstream, config.mirror);
  const plan = classify({ upstream, mirror, synced: state.synced }, selector);
  environment.info(
    `${config.name}: ${plan.unchanged.length} ref(s) in sync, ${plan.candidates.length} to update, ` +
      `${plan.vanished.length} vanished upstream, ${plan.mirrorOnly.length} mirror-only`,
  );

  const results: RefResult[] = [];
  const failures: string[] = [];
  for (const { ref, value } of plan.unchanged) results.push(result(ref, value, value, 'unchanged'));
  for (const { ref, value } of plan.mirrorOnly) {
    results.push({
      ...result(ref, value, null, 'untouched'),
      reason: 'exists only on the mirror (not written by this sync)',
    });
  }
  const deletions = config.prune ? plan.vanished : [];
  for (const { ref, old } of config.prune ? [] : plan.vanished) {
    results.push({
      ...result(ref, old, null, 'kept'),
      reason: 'vanished upstream; kept because prune is off',
    });
  }

  if (plan.candidates.length > 0 || deletions.length > 0) {
    const cache = await openCache(session);
    try {
      await updateMirror(
        session,
        cache,
        [...new Set(mirror.values())],
        plan.candidates,
        deletions,
        results,
        failures,
      );
    } catch (err) {
      if (err instanceof CacheRepaired || err instanceof UserError || err instanceof JobFailure) throw err;
      if (isRemoteFailure(err)) throw err;
      const repaired = err instanceof GitError ? await cache.diagnose(err) : undefined;
      if (repaired) throw new CacheRepaired(repaired);
      throw err;
    }
  }

  // Remember what the mirror now holds from upstream (prune relies on it); a dry run changes nothing.
  if (!config.dryRun) {
    const synced: Record<string, string> = { ...state.synced };
    for (const r of results) {
      if (
        (r.action === 'unchanged' ||
          r.action === 'created' ||
          r.action === 'updated' ||
          r.action === 'forced') &&
        r.new
      )
        synced[r.ref] = r.new;
      if (r.action === 'deleted') delete synced[r.ref];
    }
    if (JSON.stringify(synced) !== JSON.stringify(state.synced))
      await writeState(statePath, { ...state, synced });
  }

  results.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return {
    name: config.name,
    upstream: config.upstream,
    mirror: config.mirror,
    dryRun: config.dryRun,
    changed: results.some((r) => PUSHED[r.action] || r.action.startsWith('would-')),
    fetched: session.fetched,
    cache: {
      dir: session.cache?.dir ?? path.join(config.cacheDir, `${cacheKey(config.name, config.upstream)}.git`),
      recovery: session.cache?.recovery ?? [],
    },
    refs: results,
    gates: [...session.gates.values()],
    failures,
  };
}

async function openCache(session: Session): Promise<RepoCache> {
  if (session.cache) return session.cache;
  const dir = path.join(
    session.config.cacheDir,
    `${cacheKey(session.config.name, session.config.upstream)}.git`,
  );
  try {
    session.cache = await openRepoCache(session.base, dir, {
      signal: session.environment.signal,
      log: session.environment.info,
    });
  } catch (err) {
    if (err instanceof CacheLockedError) throw new JobFailure(err.message);
    throw err;
  }
  return session.cache;
}

function result(
  ref: string,
  old: string | null | undefined,
  value: string | null | undefined,
  action: RefAction,
): RefResult {
  return { ref, old: old ?? null, new: value ?? null, commits: null, gate: 'none', action };
}

interface Pending {
  candidate: Candidate;
  kind: UpdateKind;
  commits: number | null;
  /** The commit the gate checks (undefined: the ref names no commit, e.g. a tag of a tree). */
  commit?: string;
  gate: GateResult;
  reason?: string;
}

async function updateMirror(
  session: Session,
  cache: RepoCache,
  mirrorTips: string[],
  candidates: Candidate[],
  deletions: { ref: string; old: string }[],
  results: RefResult[],
  failures: string[],
): Promise<void> {
  const { config, environment, base } = session;
  const repo = cache.dir;

  // 1. Fetch every candidate's listed object id into its ref: an incremental fetch, the cache's
  // refs being the "haves" of the negotiation. Object ids spare the ref listing git would
  // otherwise repeat (one request less), and git asks the remote nothing when the cache already
  // has them all. Should one be gone already (rewritten upstream since the listing), fetch by name.
  let byName = false;
  if (candidates.length > 0) {
    environment.info(`Fetching ${candidates.length} ref(s) from the upstream`);
    try {
      await fetchRefs(
        session.upstreamGit,
        repo,
        config.upstream,
        candidates.map((c) => ({ from: c.new, to: c.ref })),
        { progress: environment.info },
      ).catch(async (err: unknown) => {
        if (!(err instanceof GitError) || isRemoteFailure(err)) throw err;
        environment.info(
          `Fetching by object id failed (${gitComplaint(err.result, session.upstreamGit.secrets)}); fetching by ref name`,
        );
        byName = true;
        await fetchRefs(
          session.upstreamGit,
          repo,
          config.upstream,
          candidates.map((c) => ({ from: c.ref, to: c.ref })),
          { progress: environment.info },
        );
      });
    } catch (err) {
      if (isRemoteFailure(err)) throw remoteError(err, session.upstreamSide, session.upstreamGit.secrets);
      throw err;
    }
    session.fetched = true;
    await cache.maintain();
  }

  // 2. One cat-file: each candidate's value (a ref fetched by name may have moved on since the
  // listing) and its commit, and which of the mirror's values the cache holds.
  const nameOf = (c: Candidate) => (byName ? c.ref : c.new);
  const now = await describeObjects(base, repo, [
    ...candidates.flatMap((c) => [nameOf(c), `${nameOf(c)}^{commit}`]),
    ...mirrorTips,
  ]);
  const commitOf = new Map<string, string | undefined>();
  const vanished = new Set<string>();
  for (const c of candidates) {
    const value = now.get(nameOf(c))?.oid;
    if (!value) {
      vanished.add(c.ref);
      continue;
    }
    if (value !== c.new) {
      environment.info(
        `${c.ref} moved upstream during the sync: taking ${value.slice(0, 12)} instead of ${c.new.slice(0, 12)}`,
      );
      c.new = value;
    }
    commitOf.set(c.ref, now.get(`${nameOf(c)}^{commit}`)?.oid);
  }

  // 3. The mirror's old commits tell a fast-forward from a rewrite; fetch the few the cache lacks.
  const updates = candidates.filter(
    (c) => c.old !== undefined && refKind(c.ref) !== 'tag' && !vanished.has(c.ref),
  );
  const present = new Set(mirrorTips.filter((oid) => now.get(oid)));
  let missingOld = new Set(updates.filter((c) => !present.has(c.old!)).map((c) => c.old!));
  if (missingOld.size > 0) {
    const refs = updates.filter((c) => missingOld.has(c.old!));
    environment.info(
      `Fetching ${refs.length} ref(s) from the mirror whose values the upstream does not have`,
    );
    try {
      await fetchRefs(
        session.mirrorGit,
        repo,
        config.mirror,
        refs.map((c) => ({ from: c.ref, to: `refs/mirror-sync/mirror/${c.ref.slice(5)}` })),
      );
    } catch (err) {
      if (isRemoteFailure(err)) throw remoteError(err, session.mirrorSide, session.mirrorGit.secrets);
      throw err;
    }
    const found = await describeObjects(base, repo, missingOld);
    for (const oid of missingOld) if (found.get(oid)) present.add(oid);
    missingOld = new Set([...missingOld].filter((oid) => !present.has(oid)));
  }
  const fastForward = new Map(
    await Promise.all(
      updates
        .filter((c) => !missingOld.has(c.old!))
        .map(async (c) => [c.ref, await isAncestor(base, repo, c.old!, c.new)] as const),
    ),
  );

  // 4. Safety: fast-forward, or allowed to force; otherwise refused.
  const forceAllowed = picomatch(config.allowForce.map(normalizePattern), { dot: true });
  const pending: Pending[] = [];
  for (const candidate of candidates) {
    if (vanished.has(candidate.ref)) {
      results.push({
        ...result(candidate.ref, candidate.old, candidate.new, 'push-failed'),
        reason: 'the upstream no longer has this value',
      });
      failures.push(`${candidate.ref}: vanished upstream while syncing`);
      continue;
    }
    if (candidate.old !== undefined && missingOld.has(candidate.old)) {
      results.push({
        ...result(candidate.ref, candidate.old, candidate.new, 'lost-race'),
        reason: 'the mirror ref changed while syncing',
      });
      failures.push(
        `${candidate.ref}: changed on the mirror while syncing (lost race); nothing was overwritten`,
      );
      continue;
    }
    const decision = decideUpdate(candidate, fastForward.get(candidate.ref), forceAllowed(candidate.ref));
    if (decision.kind === 'refused') {
      results.push({
        ...result(candidate.ref, candidate.old, candidate.new, 'refused'),
        reason: decision.reason,
      });
      // Printed once, with the other failures, when the run ends.
      failures.push(`${candidate.ref}: refused, ${decision.reason}`);
      continue;
    }
    pending.push({
      candidate,
      kind: decision.kind,
      commits: null,
      commit: commitOf.get(candidate.ref),
      gate: config.gate || config.gated ? 'not-run' : 'none',
    });
  }

  // How much each update brings: commits none of the mirror's refs (present in the cache) reach.
  const counts = await countNewCommits(
    base,
    repo,
    pending.flatMap((p) => (p.commit ? [p.commit] : [])),
    [...present],
  ).catch(() => undefined);
  for (const p of pending) p.commits = p.commit ? (counts?.get(p.commit) ?? null) : null;

  // 5. The gate, once per distinct commit.
  const stopped = config.gate ? await runGates(session, cache, pending) : false;
  if (config.gated) applyGated(config.gated, pending);

  if (environment.signal?.aborted)
    throw new JobFailure('The job was cancelled: nothing was pushed to the mirror');

  // 6. Push every passed update and every prune, each leased on the value the mirror had.
  const pushable = stopped ? [] : pending.filter((p) => p.gate === 'passed' || p.gate === 'none');
  for (const p of pending) {
    if (pushable.includes(p)) continue;
    const { ref, old, new: value } = p.candidate;
    if (p.gate === 'failed' || p.gate === 'timed-out' || p.gate === 'cancelled') {
      const outcome = session.gates.get(p.commit!);
      results.push({
        ...result(ref, old, value, 'gate-failed'),
        commits: p.commits,
        gate: p.gate,
        reason: p.reason,
      });
      failures.push(
        `${ref}: ${p.reason} on ${p.commit!.slice(0, 12)}${outcome?.tail ? `:\n${indent(outcome.tail)}` : ''}`,
      );
    } else {
      results.push({
        ...result(ref, old, value, 'skipped'),
        commits: p.commits,
        gate: p.gate,
        reason: p.reason ?? 'not pushed: fail-fast stopped at an earlier failed gate',
      });
      if (config.gated) failures.push(`${ref}: ${p.reason}; the next run gates it`);
    }
  }
  const approvedDeletion = (ref: string) =>
    !config.gated || (config.gated.has(ref) && config.gated.get(ref) === null);
  const deletes = stopped ? [] : deletions.filter((d) => approvedDeletion(d.ref));
  for (const d of stopped ? [] : deletions.filter((d) => !approvedDeletion(d.ref)))
    results.push({
      ...result(d.ref, d.old, null, 'kept'),
      reason: 'not deleted: the gate job did not approve it',
    });
  if (stopped) {
    for (const d of deletions)
      results.push({
        ...result(d.ref, d.old, null, 'skipped'),
        reason: 'not deleted: fail-fast stopped at a failed gate',
      });
    failures.push('fail-fast: nothing was pushed because a gate failed');
  }
  const leased: LeasedUpdate[] = [
    ...pushable.map((p) => ({ ref: p.candidate.ref, expect: p.candidate.old, value: p.candidate.new })),
    ...deletes.map((d) => ({ ref: d.ref, expect: d.old, value: undefined })),
  ];
  const describe = new Map<
    string,
    { kind: UpdateKind | 'delete'; pending?: Pending; old: string | undefined; new: string | undefined }
  >();
  for (const p of pushable)
    describe.set(p.candidate.ref, { kind: p.kind, pending: p, old: p.candidate.old, new: p.candidate.new });
  for (const d of deletes) describe.set(d.ref, { kind: 'delete', old: d.old, new: undefined });

  if (leased.length === 0) return;
  if (config.dryRun) {
    for (const [ref, d] of describe) {
      results.push({
        ...result(ref, d.old, d.new, dryAction(d.kind)),
        commits: d.pending?.commits ?? null,
        gate: d.pending?.gate ?? 'none',
        reason: d.pending?.reason,
      });
    }
    return;
  }
  environment.info(`Pushing ${leased.length} ref update(s) to the mirror`);
  let pushed;
  try {
    pushed = await pushWithLeases(session.mirrorGit, repo, config.mirror, leased, {
      progress: environment.info,
    });
  } catch (err) {
    if (isRemoteFailure(err)) throw remoteError(err, session.mirrorSide, session.mirrorGit.secrets);
    throw err;
  }
  for (const outcome of pushed) {
    const d = describe.get(outcome.ref)!;
    const base: RefResult = {
      ...result(outcome.ref, d.old, d.new, DONE[d.kind]),
      commits: d.pending?.commits ?? null,
      gate: d.pending?.gate ?? 'none',
      reason: d.pending?.reason,
    };
    if (outcome.status === 'ok' || outcome.status === 'up-to-date') {
      results.push(
        outcome.status === 'up-to-date'
          ? { ...base, action: 'unchanged', reason: 'already up to date on the mirror' }
          : base,
      );
    } else if (isLostRace(outcome)) {
      results.push({
        ...base,
        action: 'lost-race',
        reason: `the mirror ref changed during the sync, nothing overwritten (${outcome.summary})`,
      });
      failures.push(
        `${outcome.ref}: lost a race with another writer to the mirror (${outcome.summary}); nothing was overwritten, run the sync again`,
      );
    } else {
      results.push({ ...base, action: 'push-failed', reason: outcome.summary });
      failures.push(`${outcome.ref}: the mirror refused the push (${outcome.summary})`);
    }
  }
}

const DONE = { create: 'created', 'fast-forward': 'updated', force: 'forced', delete: 'deleted' } as const;

/** Both listings, or one error that names every side that failed (a bad input first). */
function bothOrReport<A, B>(settled: [PromiseSettledResult<A>, PromiseSettledResult<B>]): [A, B] {
  const [a, b] = settled;
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (errors.length === 1) throw errors[0];
  const message = errors.map((e) => e.message).join('\n');
  throw errors.some((e) => e instanceof UserError) ? new UserError(message) : new JobFailure(message);
}

function dryAction(kind: UpdateKind | 'delete'): RefAction {
  return (
    {
      create: 'would-create',
      'fast-forward': 'would-update',
      force: 'would-force',
      delete: 'would-delete',
    } as const
  )[kind];
}

/** A ref is pushed only with the very value the gate job approved; anything else waits for the next run. */
function applyGated(gated: GatedRefs, pending: Pending[]): void {
  for (const p of pending) {
    const approved = gated.get(p.candidate.ref);
    if (approved === p.candidate.new) {
      p.gate = 'passed';
      p.reason = 'gated by the gate job';
    } else {
      p.reason = approved
        ? `not pushed: the gate job passed ${approved.slice(0, 12)}, the upstream now has ${p.candidate.new.slice(0, 12)}`
        : 'not pushed: the gate job did not pass this value';
    }
  }
}

/**
 * Runs the gate on every pending commit with no credential file on disk, then puts the cache's
 * config back as ours and writes the SSH key again. Returns true when fail-fast stopped the run.
 */
async function runGates(session: Session, cache: RepoCache, pending: Pending[]): Promise<boolean> {
  const { config, environment } = session;
  session.sandbox ??= await chooseSandbox(config.gateSandbox, environment.env);
  if (session.sandbox.kind === 'same-user')
    environment.warning(
      `${config.name}: the gate runs as this job's own user; it gets an allowlist environment and no credential files, but it could read this process. Run the action as root (the gate then runs as 'gate-user'), give 'gate-image', or run the gate in a job without the mirror's token (docs/mirror-sync.md).`,
    );
  let stopped = false;
  await session.credentials.withdraw();
  try {
    for (const p of pending) {
      if (!p.commit) {
        p.gate = 'none';
        p.reason = 'names no commit: nothing to gate';
        continue;
      }
      if (stopped) continue;
      const outcome = await gate(
        session,
        cache.dir,
        p.commit,
        pending.filter((q) => q.commit === p.commit).map((q) => q.candidate.ref),
      );
      p.gate = outcome.status;
      if (outcome.status !== 'passed') {
        p.reason = `gate ${outcome.status === 'timed-out' ? `timed out after ${Math.round(config.gateTimeoutMs / 1000)}s` : outcome.status === 'cancelled' ? 'cancelled' : `exited with code ${outcome.exitCode}`}`;
        if (config.failFast) stopped = true;
      }
    }
  } finally {
    await cache.resetConfig();
    await session.credentials.restore();
    Object.assign(session, remoteGits(session.base, session.credentials, config, environment.env));
  }
  return stopped;
}

async function gate(session: Session, repo: string, commit: string, refs: string[]): Promise<GateOutcome> {
  const known = session.gates.get(commit);
  if (known && known.status !== 'cancelled') return known;
  const { config, environment } = session;
  environment.info(`Gate on ${commit.slice(0, 12)} (${refs.join(', ')}): ${config.gate}`);
  const outcome = await runGate(session.base, {
    command: config.gate!,
    repo,
    commit,
    refs,
    name: config.name,
    upstream: config.upstream,
    timeoutMs: config.gateTimeoutMs,
    sandbox: session.sandbox!,
    env: environment.env,
    allowEnv: config.gateEnv,
    tempDir: environment.tempDir,
    secrets: session.base.secrets,
    signal: environment.signal,
    onOutput: (text) => {
      for (const line of text.replace(/\n$/, '').split('\n')) environment.info(`  │ ${line}`);
    },
  });
  environment.info(
    `Gate on ${commit.slice(0, 12)}: ${outcome.status} (${Math.round(outcome.durationMs)} ms)`,
  );
  session.gates.set(commit, outcome);
  return outcome;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** True when the report contains a ref the step must fail for. */
export function hasFailures(report: SyncReport): boolean {
  return report.failures.length > 0 || report.refs.some((r) => FAILED[r.action]);
}
