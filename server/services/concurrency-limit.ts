/** Runs a task now if fewer than the limit are running, else when its turn comes. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * At most `max` tasks at once; the others wait, first come first served. A
 * finishing task hands its slot straight to the next in line, so a task that
 * arrives meanwhile cannot pass the queue.
 */
export function limitConcurrency(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`limitConcurrency: ${max} is not a positive integer`);
  let running = 0;
  // A queue read from `head`: Array.prototype.shift copies the whole queue, and a flood of logins makes it long.
  let waiting: Array<(() => void) | undefined> = [];
  let head = 0;
  const release = () => {
    if (head === waiting.length) {
      running -= 1;
      return;
    }
    const next = waiting[head] as () => void;
    waiting[head] = undefined;
    head += 1;
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    } else if (head >= 1024 && head * 2 >= waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    }
    next();
  };
  return async (task) => {
    if (running < max) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
