import { UserError } from '../lib/errors.js';
import type { ChartOutcome } from './charts.js';
import type { ImageOutcome } from './images.js';

export interface GitHubReleaseTarget {
  owner: string;
  repo: string;
  token: string;
  /** REST API root (GITHUB_API_URL; GitHub Enterprise or a test fake). */
  apiUrl: string;
}

export interface ReleaseNotes {
  version: string;
  candidate: string;
  images: readonly ImageOutcome[];
  charts?: readonly ChartOutcome[];
  /** The release artifact (bill of materials and rendered Armada manifest). */
  releaseArtifact?: { ref: string; digest: string };
  /** The previous release's digest per image name, for the changelog. */
  previous?: { version: string; digests: Map<string, string> };
  commits: readonly { url: string; commit: string }[];
  runUrl?: string;
}

export interface ReleaseOutcome {
  status: 'created' | 'exists' | 'failed' | 'planned';
  url?: string;
  error?: string;
}

/** `owner/repo`, `true` (the workflow's repository) or nothing. */
export function parseReleaseRepository(
  value: string | boolean | undefined,
  what: string,
  currentRepository: string | undefined,
): { owner: string; repo: string } | undefined {
  if (value === undefined || value === false || value === '' || value === 'false') return undefined;
  const text = value === true || value === 'true' ? currentRepository : value;
  const match = /^([\w.-]+)\/([\w.-]+)$/.exec(text ?? '');
  if (!match) {
    throw new UserError(
      value === true || value === 'true'
        ? `${what}: true means this workflow's repository, but GITHUB_REPOSITORY is not set; give owner/repo`
        : `${what}: expected true, false or owner/repo, got ${JSON.stringify(value)}`,
    );
  }
  return { owner: match[1], repo: match[2] };
}

/** The release body: the artifact list (image, digest) and what changed since the previous release. */
export function releaseBody(notes: ReleaseNotes): string {
  const lines = [
    `Promoted from candidate \`${notes.candidate}\`.`,
    '',
    '## Images',
    '',
    '| image | digest |',
    '| --- | --- |',
  ];
  for (const image of notes.images) lines.push(`| \`${image.target}\` | \`${image.digest}\` |`);
  if (notes.charts?.length) {
    lines.push('', '## Charts', '', '| chart | digest |', '| --- | --- |');
    for (const chart of notes.charts) lines.push(`| \`${chart.ref}\` | \`${chart.digest}\` |`);
  }
  if (notes.releaseArtifact)
    lines.push(
      '',
      `Bill of materials and Armada manifest: \`${notes.releaseArtifact.ref}@${notes.releaseArtifact.digest}\``,
    );
  lines.push('', `## Changes${notes.previous ? ` since ${notes.previous.version}` : ''}`, '');
  if (!notes.previous) {
    lines.push('First release.');
  } else {
    const changes: string[] = [];
    for (const image of notes.images) {
      const before = notes.previous.digests.get(image.name);
      if (!before) changes.push(`- ${image.name}: new image`);
      else if (before !== image.digest)
        changes.push(`- ${image.name}: ${short(before)} → ${short(image.digest)}`);
    }
    const current = new Set(notes.images.map((i) => i.name));
    for (const name of notes.previous.digests.keys())
      if (!current.has(name)) changes.push(`- ${name}: no longer released`);
    lines.push(...(changes.length ? changes : ['No image changed.']));
  }
  if (notes.commits.length) {
    lines.push('', '## Source commits', '');
    for (const c of notes.commits) lines.push(`- ${c.url} @ \`${c.commit}\``);
  }
  if (notes.runUrl) lines.push('', `Promotion run: ${notes.runUrl}`);
  return `${lines.join('\n')}\n`;
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Creates the release `version` unless it exists already (a re-run leaves it alone). */
export async function publishRelease(
  target: GitHubReleaseTarget,
  version: string,
  body: string,
): Promise<ReleaseOutcome> {
  // Loaded here, not at start: @actions/github brings Octokit and all of undici (with Node's own
  // undici behind it), about 50 ms of every promotion's start, and most promotions publish no release.
  const { getOctokit } = await import('@actions/github');
  const octokit = getOctokit(target.token, { baseUrl: target.apiUrl });
  try {
    const existing = await octokit.rest.repos.getReleaseByTag({
      owner: target.owner,
      repo: target.repo,
      tag: version,
    });
    return { status: 'exists', url: existing.data.html_url };
  } catch (err) {
    if ((err as { status?: number }).status !== 404) throw err;
  }
  const created = await octokit.rest.repos.createRelease({
    owner: target.owner,
    repo: target.repo,
    tag_name: version,
    name: version,
    body,
    draft: false,
    prerelease: false,
  });
  return { status: 'created', url: created.data.html_url };
}
