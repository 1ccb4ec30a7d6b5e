// When to start a worker again after one died unasked, and when to give up.
// Each worker slot backs off on its own (so that all workers killed at once
// all come back at once): 250 ms, doubling to 10 s, back to the start once a
// worker has served for 10 s. A slot whose workers die five times in a row
// before they listen means the server cannot start: the primary gives up and
// exits non-zero, for its supervisor (systemd, Kubernetes) to act on.

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A worker that served this long has recovered: its slot's backoff starts over. */
  stableMs: number;
  /** Deaths in a row, before listening, after which the primary gives up. */
  maxStartFailures: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  stableMs: 10_000,
  maxStartFailures: 5,
};

export type Verdict = { giveUp: false; delayMs: number } | { giveUp: true; reason: string };

export interface SlotHistory {
  /** Deaths since the slot last had a worker that served for `stableMs`. */
  deaths: number;
  /** Deaths in a row of workers that never listened. */
  startFailures: number;
}

export const freshSlot = (): SlotHistory => ({ deaths: 0, startFailures: 0 });

/** `servedMs`: how long the dead worker had been listening; undefined if it never did. */
export function afterDeath(policy: RestartPolicy, slot: SlotHistory, servedMs: number | undefined): Verdict {
  if (servedMs === undefined) {
    slot.startFailures += 1;
  } else {
    slot.startFailures = 0;
    if (servedMs >= policy.stableMs) slot.deaths = 0;
  }
  slot.deaths += 1;
  if (slot.startFailures >= policy.maxStartFailures) {
    return { giveUp: true, reason: `${slot.startFailures} workers in a row died before they could serve` };
  }
  return { giveUp: false, delayMs: Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (slot.deaths - 1)) };
}
