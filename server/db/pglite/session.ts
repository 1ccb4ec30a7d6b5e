// PGlite is one PostgreSQL backend: one session, one transaction at a time.
// Whoever uses it (this process's Kysely driver, or a client of the owner's
// socket) holds this lock from its first statement until the session is idle
// again, so that nobody's statement ever runs inside someone else's
// transaction. Waiters are served in arrival order.

export type Release = () => void;

export class PgliteSession {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves once every earlier holder has released; call the answer to release. */
  acquire(): Promise<Release> {
    let release!: Release;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    return previous.then(() => release);
  }

  /** Resolves when every holder so far has released. */
  idle(): Promise<void> {
    return this.tail;
  }
}
