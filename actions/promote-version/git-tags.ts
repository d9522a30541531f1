import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, ExternalError, UserError } from '../lib/errors.js';
import { Git, GitError, type GitWorkspace, TACO_CI_IDENTITY } from '../lib/git/git.js';
import { checkGitRef, checkUrl } from '../lib/git/url.js';
import { describeFailure } from '../lib/process.js';

/** A repository to tag: `url` or `url#ref` (a commit, tag or branch). */
export interface GitRepoSpec {
  url: string;
  /** What to tag; default: the tag named after the candidate (the nightly run tags what it built). */
  ref?: string;
}

export interface GitTagPlan {
  url: string;
  commit: string;
  tag: string;
  /** `create`, or `exists` when the tag already points at this commit. */
  state: 'create' | 'exists';
}

export interface GitTagOutcome extends GitTagPlan {
  status: 'created' | 'skipped' | 'failed' | 'planned';
  error?: string;
}

/** The git runner (with the token, sent only to the HTTPS remote each command names) and a temp dir. */
export type GitTagOptions = GitWorkspace;

/** Git (and git-ledger) options from the token and a run's environment, temp dir, signal and log. */
export function gitOptions(
  token: string | undefined,
  deps: {
    env: Readonly<Record<string, string | undefined>>;
    tempDir: string;
    signal?: AbortSignal;
    log: (line: string) => void;
  },
): GitTagOptions {
  return {
    git: new Git({ env: deps.env, token, signal: deps.signal }),
    tempDir: deps.tempDir,
    log: deps.log,
  };
}

export function parseGitRepos(items: readonly string[], what: string): GitRepoSpec[] {
  return items.map((item) => {
    const value = item.trim();
    const hash = value.lastIndexOf('#');
    const url = hash === -1 ? value : value.slice(0, hash);
    const ref = hash === -1 ? undefined : value.slice(hash + 1);
    if (!url || ref === '' || /\s/.test(value))
      throw new UserError(`${what}: expected url or url#ref, got ${JSON.stringify(item)}`);
    checkUrl(url, `${what}: ${JSON.stringify(url.replace(/\/\/[^/]*@/, '//***@'))}`);
    return { url, ref: ref === undefined ? undefined : checkGitRef(ref, what) };
  });
}

/** `refs/…` → object id from `git ls-remote`, with tags peeled (`^{}`) to their commits. */
async function lsRemote(spec: GitRepoSpec, options: GitTagOptions): Promise<Map<string, string>> {
  const git = options.git.forRemote(spec.url);
  let stdout: string;
  try {
    stdout = await git.output(['ls-remote', '--', spec.url], { timeoutMs: GIT_TIMEOUT_MS });
  } catch (err) {
    const why = err instanceof GitError ? describeFailure(err.result, git.secrets, 3) : errorMessage(err);
    throw new ExternalError('git', `git repository ${spec.url} could not be read: ${why}`, { cause: err });
  }
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [oid, ref] = line.split('\t');
    if (!oid || !ref) continue;
    if (ref.endsWith('^{}')) refs.set(ref.slice(0, -3), oid);
    else if (!refs.has(ref)) refs.set(ref, oid);
  }
  return refs;
}

const GIT_TIMEOUT_MS = 120_000;

export interface GitRepoState {
  spec: GitRepoSpec;
  commit: string;
  /** Every tag name in the repository. */
  tags: string[];
  /** Tag name → commit it points at. */
  tagCommits: Map<string, string>;
}

/** Finds the commit to tag and the repository's tags, before anything is changed. */
export async function inspectGitRepo(
  spec: GitRepoSpec,
  candidate: string,
  options: GitTagOptions,
): Promise<GitRepoState> {
  const refs = await lsRemote(spec, options);
  const tagCommits = new Map<string, string>();
  for (const [ref, oid] of refs)
    if (ref.startsWith('refs/tags/')) tagCommits.set(ref.slice('refs/tags/'.length), oid);
  const wanted = spec.ref ?? candidate;
  let commit: string | undefined;
  if (/^[0-9a-f]{40}$/.test(wanted)) commit = wanted;
  else commit = refs.get(wanted) ?? refs.get(`refs/tags/${wanted}`) ?? refs.get(`refs/heads/${wanted}`);
  if (!commit) {
    throw new UserError(
      `git-repos: ${spec.url} has no ${spec.ref ? `ref ${JSON.stringify(spec.ref)}` : `tag ${JSON.stringify(candidate)} recording the candidate's commit`}; ` +
        `name the commit as ${spec.url}#<commit>`,
    );
  }
  return { spec, commit, tags: [...tagCommits.keys()], tagCommits };
}

/** Release tags are immutable: an existing tag at another commit is refused. */
export function planGitTag(state: GitRepoState, tag: string): GitTagPlan | { conflict: string } {
  const existing = state.tagCommits.get(tag);
  if (existing && existing !== state.commit)
    return { conflict: `${state.spec.url}: tag ${tag} already points at ${existing}, not ${state.commit}` };
  return { url: state.spec.url, commit: state.commit, tag, state: existing ? 'exists' : 'create' };
}

/** Creates and pushes an annotated tag at the planned commit (no clone: only that commit is fetched). */
export async function createGitTag(plan: GitTagPlan, message: string, options: GitTagOptions): Promise<void> {
  const dir = await mkdtemp(path.join(options.tempDir, 'promote-git-'));
  const git = options.git.forRemote(plan.url).forScratch().withEnv(TACO_CI_IDENTITY);
  const step = async (args: string[]) => {
    try {
      await git.run(args, { cwd: dir, timeoutMs: GIT_TIMEOUT_MS });
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      throw new ExternalError('git', describeFailure(err.result, git.secrets, 5), { cause: err });
    }
  };
  try {
    await step(['init', '-q']);
    await step(['fetch', '-q', '--depth=1', '--', plan.url, plan.commit]);
    await step(['tag', '-a', '-m', message, '--', plan.tag, plan.commit]);
    await step(['push', '-q', '--', plan.url, `refs/tags/${plan.tag}`]);
    options.log?.(`${plan.url}: tag ${plan.tag} → ${plan.commit}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
