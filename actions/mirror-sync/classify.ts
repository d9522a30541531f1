import type { RefSelector } from './ref-patterns.js';
import { refKind } from './ref-patterns.js';

/**
 * The pure part of a sync: from the two ref listings and what earlier runs pushed, which refs
 * must change, which are in sync, and which the action must leave alone.
 */
export interface RefListing {
  upstream: ReadonlyMap<string, string>;
  mirror: ReadonlyMap<string, string>;
  /** ref → value this action last pushed to (or found on) the mirror. */
  synced: Readonly<Record<string, string>>;
}

export interface Candidate {
  ref: string;
  /** The mirror's value, undefined when the ref is new on the mirror. */
  old: string | undefined;
  new: string;
}

export interface Classification {
  unchanged: { ref: string; value: string }[];
  /** Upstream refs the mirror lacks or has at another value. */
  candidates: Candidate[];
  /** Mirror refs this action created that vanished upstream. */
  vanished: { ref: string; old: string }[];
  /** Selected mirror refs absent upstream that this action never wrote (or that changed since): never touched. */
  mirrorOnly: { ref: string; value: string }[];
}

export function classify(listing: RefListing, selector: RefSelector): Classification {
  const result: Classification = { unchanged: [], candidates: [], vanished: [], mirrorOnly: [] };
  for (const [ref, value] of sorted(listing.upstream)) {
    if (!selector.selects(ref)) continue;
    const old = listing.mirror.get(ref);
    if (old === value) result.unchanged.push({ ref, value });
    else result.candidates.push({ ref, old, new: value });
  }
  for (const [ref, value] of sorted(listing.mirror)) {
    if (!selector.selects(ref) || listing.upstream.has(ref)) continue;
    // Only a ref still holding exactly what this action put there came from upstream.
    if (listing.synced[ref] === value) result.vanished.push({ ref, old: value });
    else result.mirrorOnly.push({ ref, value });
  }
  return result;
}

export type UpdateKind = 'create' | 'fast-forward' | 'force';

export interface UpdateDecision {
  kind: UpdateKind | 'refused';
  reason?: string;
}

/**
 * Whether an update may go ahead. Branches (and other refs) must fast-forward; a tag must never
 * move. Either may be overridden per ref by `allow-force`.
 */
export function decideUpdate(
  candidate: Candidate,
  fastForward: boolean | undefined,
  forceAllowed: boolean,
): UpdateDecision {
  if (candidate.old === undefined) return { kind: 'create' };
  const isTag = refKind(candidate.ref) === 'tag';
  if (!isTag && fastForward) return { kind: 'fast-forward' };
  if (forceAllowed) return { kind: 'force' };
  return {
    kind: 'refused',
    reason: isTag
      ? 'the tag was moved upstream: tags are immutable here (to take the move, list the tag in allow-force)'
      : 'not a fast-forward: upstream history was rewritten (to take the rewrite, list this ref in allow-force)',
  };
}

function sorted(map: ReadonlyMap<string, string>): [string, string][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
