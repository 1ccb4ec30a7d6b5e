/** Runs `work` when no other holder of the same lock is running: in this tab, and in the others when asked. */
export type Lock = <T>(work: () => Promise<T>) => Promise<T>;

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Longer than any refresh with its retries; a tab that dies holding the lease blocks the others this long at most. */
const LEASE_MS = 20_000;
/** Long enough for a rival tab's write to reach this one before the lease is believed. */
const SETTLE_MS = 40;
const POLL_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One holder at a time. Across tabs (`crossTab`), with Web Locks where the
 * browser has them (secure contexts), else with a lease in localStorage: best
 * effort, since storage offers no atomic compare-and-set, but a rival's write
 * reaches every tab well within SETTLE_MS. Within the tab, a queue.
 */
export function createLock(name: string, crossTab: boolean): Lock {
  let tail: Promise<unknown> = Promise.resolve();
  const queued: Lock = (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
  if (!crossTab) return queued;
  const scope = globalThis as { navigator?: { locks?: LockManagerLike }; localStorage?: StorageLike };
  const locks = scope.navigator?.locks;
  if (locks) return (work) => queued(() => locks.request(name, work));
  const storage = scope.localStorage;
  if (!storage) return queued;
  return (work) => queued(() => leased(storage, `${name}:lease`, work));
}

async function leased<T>(storage: StorageLike, key: string, work: () => Promise<T>): Promise<T> {
  const id = `${Date.now()}-${Math.random()}`;
  for (;;) {
    const held = readLease(storage, key);
    if (held && held.until > Date.now()) {
      await sleep(POLL_MS);
      continue;
    }
    storage.setItem(key, JSON.stringify({ id, until: Date.now() + LEASE_MS }));
    await sleep(SETTLE_MS);
    if (readLease(storage, key)?.id === id) break;
  }
  try {
    return await work();
  } finally {
    if (readLease(storage, key)?.id === id) storage.removeItem(key);
  }
}

function readLease(storage: StorageLike, key: string): { id: string; until: number } | undefined {
  try {
    const lease = JSON.parse(storage.getItem(key) ?? "null") as { id?: unknown; until?: unknown } | null;
    return typeof lease?.id === "string" && typeof lease.until === "number"
      ? { id: lease.id, until: lease.until }
      : undefined;
  } catch {
    return undefined;
  }
}
