import { describe, expect, it } from "vitest";
import { afterDeath, DEFAULT_RESTART_POLICY, freshSlot } from "../../server/process/restart-policy.js";

const policy = DEFAULT_RESTART_POLICY;

describe("restarting workers", () => {
  it("backs off per slot, doubling up to the cap, so that every worker killed at once comes back at once", () => {
    const slots = [freshSlot(), freshSlot(), freshSlot(), freshSlot()];
    // Eight workers' worth of deaths would back one counter off for minutes; each slot counts its own.
    expect(slots.map((slot) => afterDeath(policy, slot, 2_000))).toEqual(
      slots.map(() => ({ giveUp: false, delayMs: policy.initialDelayMs })),
    );
    const slot = freshSlot();
    const delays = Array.from({ length: 8 }, () => afterDeath(policy, slot, 1_000)).map((verdict) =>
      verdict.giveUp ? -1 : verdict.delayMs,
    );
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it("starts over once a worker has served for a while", () => {
    const slot = freshSlot();
    for (let i = 0; i < 4; i += 1) afterDeath(policy, slot, 1_000);
    expect(afterDeath(policy, slot, policy.stableMs)).toEqual({ giveUp: false, delayMs: policy.initialDelayMs });
  });

  it("gives up after five deaths in a row before listening, and not while workers still get to listen", () => {
    const slot = freshSlot();
    for (let i = 0; i < 4; i += 1) expect(afterDeath(policy, slot, undefined).giveUp).toBe(false);
    // One that listened, however briefly, breaks the row.
    expect(afterDeath(policy, slot, 10).giveUp).toBe(false);
    for (let i = 0; i < 4; i += 1) expect(afterDeath(policy, slot, undefined).giveUp).toBe(false);
    expect(afterDeath(policy, slot, undefined)).toEqual({
      giveUp: true,
      reason: "5 workers in a row died before they could serve",
    });
  });
});
