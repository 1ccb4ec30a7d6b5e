import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Limiter, limitConcurrency } from "../../server/services/concurrency-limit.js";
import { createArgon2Hasher } from "../../server/services/passwords.js";

const FAST = { memoryCost: 8, timeCost: 1, parallelism: 1 };

/** A promise with its resolve and reject in hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("limitConcurrency", () => {
  it("runs at most its limit at once, and the rest in the order they came", async () => {
    const limit = limitConcurrency(3);
    const gates = Array.from({ length: 50 }, () => deferred<number>());
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const results = gates.map((gate, index) =>
      limit(async () => {
        started.push(index);
        running += 1;
        most = Math.max(most, running);
        try {
          return await gate.promise;
        } finally {
          running -= 1;
        }
      }),
    );
    await settle();
    expect(started).toEqual([0, 1, 2]);
    // Finishing out of order frees slots for the next in line, never for a later one.
    for (const index of [2, 0, 1, ...Array.from({ length: 47 }, (_, i) => i + 3)]) {
      gates[index]?.resolve(index);
      await settle();
    }
    expect(await Promise.all(results)).toEqual(gates.map((_, index) => index));
    expect(started).toEqual(gates.map((_, index) => index));
    expect(most).toBe(3);
  });

  it("gives the slot back when a task fails or throws before its promise", async () => {
    const limit = limitConcurrency(1);
    await expect(limit(() => Promise.reject(new Error("failed")))).rejects.toThrow("failed");
    await expect(
      limit(() => {
        throw new Error("threw");
      }),
    ).rejects.toThrow("threw");
    expect(await limit(async () => "still runs")).toBe("still runs");
  });

  it("keeps the order through a queue of thousands", async () => {
    const limit = limitConcurrency(1);
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 5000 }, (_, index) =>
        limit(async () => {
          order.push(index);
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 5000 }, (_, index) => index));
    // Then a slot is still free at once.
    expect(await limit(async () => "free")).toBe("free");
  });

  it("refuses a limit that is not a positive whole number", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => limitConcurrency(bad)).toThrow(RangeError);
  });
});

describe("the password hasher's limit", () => {
  const django = (
    JSON.parse(readFileSync(new URL("../fixtures/django/password-hashes.json", import.meta.url), "utf8")) as Array<{
      algorithm: string;
      password: string | null;
      encoded: string;
    }>
  ).find((fixture) => fixture.algorithm === "pbkdf2_sha256" && fixture.password);

  it("holds every hash and verification, each on its own, even with one slot", async () => {
    let tasks = 0;
    let running = 0;
    let most = 0;
    const one = limitConcurrency(1);
    const counting: Limiter = (task) =>
      one(async () => {
        tasks += 1;
        running += 1;
        most = Math.max(most, running);
        try {
          return await task();
        } finally {
          running -= 1;
        }
      });
    const hasher = createArgon2Hasher(FAST, counting);
    const stored = await hasher.hash("correct horse");
    // The dummy that unknown accounts verify against is hashed as the hasher is made.
    expect(tasks).toBe(2);

    // All at once: right and wrong passwords, unknown accounts, an unusable hash, a Django hash, new hashes.
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => hasher.verify(stored, "correct horse")),
      ...Array.from({ length: 4 }, () => hasher.verify(stored, "wrong horse")),
      ...Array.from({ length: 4 }, () => hasher.verifyNothing("correct horse")),
      ...Array.from({ length: 2 }, () => hasher.verify("!unusable", "correct horse")),
      hasher.verify(django?.encoded ?? "", django?.password ?? ""),
      hasher.hash("another").then((hash) => hash.startsWith("$argon2id$")),
    ]);

    expect(answers).toEqual([
      ...Array(4).fill(true),
      ...Array(4).fill(false),
      ...Array(4).fill(false),
      ...Array(2).fill(false),
      true,
      true,
    ]);
    // 8 verifications, the dummy verified 6 times, the Django hash, a new hash.
    expect(tasks).toBe(2 + 8 + 6 + 1 + 1);
    expect(most).toBe(1);
  });

  it("makes the dummy again when hashing it failed, instead of failing every unknown account", async () => {
    const one = limitConcurrency(1);
    let refusals = 1;
    const flaky: Limiter = (task) => (refusals-- > 0 ? Promise.reject(new Error("no slot")) : one(task));
    const hasher = createArgon2Hasher(FAST, flaky);
    expect(await hasher.verifyNothing("correct horse")).toBe(false);
    expect(await hasher.verifyNothing("correct horse")).toBe(false);
  });
});
