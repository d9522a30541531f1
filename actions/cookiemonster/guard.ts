/**
 * The availability guard: how many pods of a workload must stay Ready, and whether one more kill
 * is allowed right now. The caller passes state read fresh from the API just before the kill.
 */
export interface GuardPolicy {
  /** Keep at least this many pods Ready (default 1). */
  minReady?: number;
  /** Keep a strict majority Ready (clustered StatefulSets: mariadb, rabbitmq, etcd). */
  quorum?: boolean;
  /** At most this many pods down at once (max-unavailable): keep desired − slack Ready. */
  slack?: number;
}

/** The fewest Ready pods the workload may have after a kill. */
export function readyFloor(policy: GuardPolicy, desired: number): number {
  let floor = policy.minReady ?? 1;
  if (policy.quorum) floor = Math.max(floor, Math.floor(desired / 2) + 1);
  if (policy.slack !== undefined) floor = Math.max(floor, desired - policy.slack);
  return floor;
}

export type GuardDecision =
  { allowed: true; floor: number } | { allowed: false; floor: number; reason: string };

/**
 * `available` must already exclude pods this run disrupted that have not recovered yet, so that a
 * kill whose effect the API does not show yet still counts against the budget.
 */
export function mayKill(policy: GuardPolicy, desired: number, available: number): GuardDecision {
  const floor = readyFloor(policy, desired);
  if (available - 1 < floor) {
    return {
      allowed: false,
      floor,
      reason: `${available} of ${desired} Ready, floor ${floor}${policy.quorum ? ' (quorum)' : ''}`,
    };
  }
  return { allowed: true, floor };
}
