import path from 'node:path';
import { JobFailure, UserError } from '../lib/errors.js';
import {
  basicAuthHeader,
  type GitAuthEnv,
  httpTokenEnv,
  type SshKeyFile,
  writeSshKey,
} from '../lib/git/auth.js';
import { CacheLockedError, openRepoCache, type RepoCache } from '../lib/git/cache.js';
import { Git, GitError } from '../lib/git/git.js';
import { canReachInProcess, lsRefsHttp } from '../lib/git/ls-refs-http.js';
import { isLoopbackHost } from '../lib/http/loopback.js';
import { lsRemote } from '../lib/git/refs.js';
import { type Candidate, type Classification, classify } from './classify.js';
import type { MirrorSyncConfig } from './config.js';
import { urlKind } from './config.js';
import { type GateOutcome, runGate } from './gate.js';
import { chooseSandbox, type GateSandbox } from './gate-sandbox.js';
import type { GatedRefs } from './gated.js';
import { pinnedTransportConfig, UNTRUSTED_REPO_CONFIG } from '../lib/git/isolation.js';
import { type RefSelector, refSelector } from './ref-patterns.js';
import { isRemoteFailure, remoteError, type RemoteSide } from './remote-errors.js';
import { cacheKey, readState, stateFile, type SyncState, writeState } from './state.js';
import {
  countBrought,
  decideCandidates,
  fetchCandidates,
  type Pending,
  planPush,
  pushPlanned,
  refResult,
  resolveCandidates,
  type Settled,
  withCommits,
} from './update.js';

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

export interface Session {
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
  if (canReachInProcess(sideInfo.url, environment.env)) {
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
  const deletions = config.prune ? plan.vanished : [];
  const updated =
    plan.candidates.length > 0 || deletions.length > 0
      ? await updateMirror(session, {
          mirrorTips: [...new Set(mirror.values())],
          candidates: plan.candidates,
          deletions,
          cloneable: selectsAllBranchesAndTags(upstream, plan.candidates, selector),
        })
      : { results: [], failures: [] };
  const results = [...untouchedRefs(plan, config.prune), ...updated.results];
  // Remember what the mirror now holds from upstream (prune relies on it); a dry run changes nothing.
  if (!config.dryRun) await rememberSynced(statePath, state, results);
  return report(session, results, updated.failures);
}

/** The refs a sync settles without touching the mirror: in sync, mirror-only, kept without prune. */
function untouchedRefs(plan: Classification, prune: boolean): RefResult[] {
  return [
    ...plan.unchanged.map(({ ref, value }) => refResult(ref, value, value, 'unchanged')),
    ...plan.mirrorOnly.map(({ ref, value }) => ({
      ...refResult(ref, value, null, 'untouched'),
      reason: 'exists only on the mirror (not written by this sync)',
    })),
    ...(prune ? [] : plan.vanished).map(({ ref, old }) => ({
      ...refResult(ref, old, null, 'kept'),
      reason: 'vanished upstream; kept because prune is off',
    })),
  ];
}

/**
 * True when the selection is exactly the upstream's branches and tags, which is what a `git
 * clone --bare` fetches: an empty cache can then be filled by a clone.
 */
function selectsAllBranchesAndTags(
  upstream: ReadonlyMap<string, string>,
  candidates: readonly Candidate[],
  selector: RefSelector,
): boolean {
  const branchOrTag = (ref: string) => ref.startsWith('refs/heads/') || ref.startsWith('refs/tags/');
  return (
    candidates.every((c) => branchOrTag(c.ref)) &&
    [...upstream.keys()].every((ref) => !branchOrTag(ref) || selector.selects(ref))
  );
}

async function rememberSynced(statePath: string, state: SyncState, results: readonly RefResult[]) {
  const synced: Record<string, string> = { ...state.synced };
  for (const r of results) {
    if (KEPT_IN_SYNC[r.action] && r.new) synced[r.ref] = r.new;
    if (r.action === 'deleted') delete synced[r.ref];
  }
  if (JSON.stringify(synced) !== JSON.stringify(state.synced))
    await writeState(statePath, { ...state, synced });
}

const KEPT_IN_SYNC: Partial<Record<RefAction, true>> = {
  unchanged: true,
  created: true,
  updated: true,
  forced: true,
};

function report(
  session: Session,
  results: RefResult[],
  failures: string[],
): Omit<SyncReport, 'startedAt' | 'durationMs'> {
  const { config } = session;
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

/** What must change on the mirror. */
interface MirrorWork {
  /** Every value a mirror ref has (the old values of updates among them). */
  mirrorTips: string[];
  candidates: Candidate[];
  deletions: { ref: string; old: string }[];
  /** The cache may be filled by a clone (see selectsAllBranchesAndTags). */
  cloneable: boolean;
}

/**
 * fetch → resolve → decide → gate → push (the commit count beside the push). A git failure that
 * turns out to be a broken cache repairs it and starts the sync over (CacheRepaired).
 */
async function updateMirror(session: Session, work: MirrorWork): Promise<Settled> {
  const cache = await openCache(session);
  try {
    const { byName } = await fetchCandidates(session, cache, work.candidates, work.cloneable);
    const resolved = await resolveCandidates(session, cache, work.candidates, work.mirrorTips, byName);
    const decided = decideCandidates(session.config, resolved);
    const gated = await gateStage(session, cache, decided.pending);
    if (session.environment.signal?.aborted)
      throw new JobFailure('The job was cancelled: nothing was pushed to the mirror');
    const plan = planPush(session, gated.pending, work.deletions, gated.stopped);
    // The count only feeds the report: it runs beside the push, and both have ended before this
    // returns (nothing may still work on the cache then).
    const [pushing, counting] = await Promise.allSettled([
      pushPlanned(session, cache, plan.updates),
      countBrought(session, cache, gated.pending, resolved.present),
    ]);
    if (pushing.status === 'rejected') throw pushing.reason;
    if (counting.status === 'rejected') throw counting.reason;
    const [pushed, counts] = [pushing.value, counting.value];
    return {
      results: withCommits([...decided.results, ...plan.results, ...pushed.results], gated.pending, counts),
      failures: [...decided.failures, ...plan.failures, ...pushed.failures],
    };
  } catch (err) {
    if (err instanceof CacheRepaired || err instanceof UserError || err instanceof JobFailure) throw err;
    if (isRemoteFailure(err)) throw err;
    const repaired = err instanceof GitError ? await cache.diagnose(err) : undefined;
    if (repaired) throw new CacheRepaired(repaired);
    throw err;
  }
}

/** The gate (or the gate job's verdicts) on every pending update. */
async function gateStage(
  session: Session,
  cache: RepoCache,
  pending: Pending[],
): Promise<{ pending: Pending[]; stopped: boolean }> {
  const { config } = session;
  const gated = config.gate ? await runGates(session, cache, pending) : { pending, stopped: false };
  return config.gated ? { ...gated, pending: applyGated(config.gated, gated.pending) } : gated;
}

/** Both listings, or one error that names every side that failed (a bad input first). */
function bothOrReport<A, B>(settled: [PromiseSettledResult<A>, PromiseSettledResult<B>]): [A, B] {
  const [a, b] = settled;
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (errors.length === 1) throw errors[0];
  const message = errors.map((e) => e.message).join('\n');
  throw errors.some((e) => e instanceof UserError) ? new UserError(message) : new JobFailure(message);
}

/** A ref is pushed only with the very value the gate job approved; anything else waits for the next run. */
function applyGated(gated: GatedRefs, pending: readonly Pending[]): Pending[] {
  return pending.map((p) => {
    const approved = gated.get(p.candidate.ref);
    if (approved === p.candidate.new) return { ...p, gate: 'passed', reason: 'gated by the gate job' };
    return {
      ...p,
      reason: approved
        ? `not pushed: the gate job passed ${approved.slice(0, 12)}, the upstream now has ${p.candidate.new.slice(0, 12)}`
        : 'not pushed: the gate job did not pass this value',
    };
  });
}

/**
 * Runs the gate once per distinct pending commit (every ref at that commit shares its outcome),
 * with no credential file on disk, then puts the cache's config back as ours and writes the SSH
 * key again. `stopped`: fail-fast stopped the run at a failed gate.
 */
async function runGates(
  session: Session,
  cache: RepoCache,
  pending: readonly Pending[],
): Promise<{ pending: Pending[]; stopped: boolean }> {
  const { config, environment } = session;
  session.sandbox ??= await chooseSandbox(config.gateSandbox, environment.env);
  if (session.sandbox.kind === 'same-user')
    environment.warning(
      `${config.name}: the gate runs as this job's own user; it gets an allowlist environment and no credential files, but it could read this process. Run the action as root (the gate then runs as 'gate-user'), give 'gate-image', or run the gate in a job without the mirror's token (docs/mirror-sync.md).`,
    );
  const refsAt = new Map<string, string[]>();
  for (const p of pending)
    if (p.commit) refsAt.set(p.commit, [...(refsAt.get(p.commit) ?? []), p.candidate.ref]);
  const outcomes = new Map<string, GateOutcome>();
  let stopped = false;
  await session.credentials.withdraw();
  try {
    for (const [commit, refs] of refsAt) {
      const outcome = await gate(session, cache.dir, commit, refs);
      outcomes.set(commit, outcome);
      if (outcome.status !== 'passed' && config.failFast) {
        stopped = true;
        break;
      }
    }
  } finally {
    await cache.resetConfig();
    await session.credentials.restore();
    Object.assign(session, remoteGits(session.base, session.credentials, config, environment.env));
  }
  const gated = pending.map((p): Pending => {
    if (!p.commit) return { ...p, gate: 'none', reason: 'names no commit: nothing to gate' };
    const outcome = outcomes.get(p.commit);
    if (!outcome) return p;
    return {
      ...p,
      gate: outcome.status,
      reason: outcome.status === 'passed' ? undefined : gateFailure(config, outcome),
    };
  });
  return { pending: gated, stopped };
}

function gateFailure(config: MirrorSyncConfig, outcome: GateOutcome): string {
  if (outcome.status === 'timed-out')
    return `gate timed out after ${Math.round(config.gateTimeoutMs / 1000)}s`;
  if (outcome.status === 'cancelled') return 'gate cancelled';
  return `gate exited with code ${outcome.exitCode}`;
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

/** True when the report contains a ref the step must fail for. */
export function hasFailures(report: SyncReport): boolean {
  return report.failures.length > 0 || report.refs.some((r) => FAILED[r.action]);
}
