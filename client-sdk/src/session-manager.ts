import type { Authority, Grant } from "./authority.js";
import { type ApiError, isApiError, isRetryable, SessionEndedError } from "./errors.js";
import type { ErrorCode } from "./generated/api.js";
import { tokenClaims } from "./jwt.js";
import type { Lock } from "./lock.js";
import { type AuthListener, Listeners, type Session, TAB_EVENTS, type TabEvent, toSession } from "./session.js";
import type { TokenStorage } from "./storage.js";
import { parseStored, type Stored, storedSession, type User } from "./stored.js";
import type { TabChannel } from "./tabs.js";

/** What a refresh can answer that means the session is over (anything else may pass). */
const ENDS_SESSION: ReadonlySet<ErrorCode> = new Set([
  "token_not_valid",
  "user_inactive",
  "user_not_found",
  "not_authenticated",
]);

export interface SessionOptions {
  authority: Authority;
  storage: TokenStorage;
  storageKey: string;
  /** Refresh when the access token has less than this left. */
  refreshMarginMs: number;
  /** How often a refresh that fails on the network is tried again, with exponential backoff. */
  retries: number;
  retryDelayMs: number;
  /** The profile of the user an access token belongs to: `user.me`. */
  fetchUser(access: string): Promise<User>;
  /** Held while the session is rotated, replaced or ended: across tabs when they share it. */
  lock: Lock;
  /** Opens the channel to the other tabs; without it, this tab keeps to itself. */
  openChannel?: (receive: (message: unknown) => void) => TabChannel;
  now?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The token manager (after Supabase auth-js): keeps the session, hands out an
 * access token that is still good, and refreshes it, once for all concurrent
 * callers and, under a lock, once for all tabs, shortly before it expires or
 * when the server calls it invalid.
 */
export class SessionManager {
  /** Resolves once the stored session is loaded (never rejects). */
  readonly ready: Promise<void>;
  private state: Session | null = null;
  private inFlight: Promise<Session | null> | undefined;
  private readonly listeners = new Listeners();
  private readonly stored: ReturnType<typeof storedSession>;
  private readonly channel: TabChannel | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
    this.stored = storedSession(options.storage, options.storageKey);
    this.channel = options.openChannel?.((message) => this.receive(message));
    this.ready = this.initialize();
  }

  /** The session now (null before `ready`). */
  current(): Session | null {
    return this.state;
  }

  async get(): Promise<Session | null> {
    await this.ready;
    return this.state;
  }

  onChange(listener: AuthListener): () => void {
    return this.listeners.add(listener);
  }

  /** An access token with more than the margin left (refreshed first if needed); undefined without a session. */
  async accessToken(): Promise<string | undefined> {
    await this.ready;
    const session = this.state;
    if (!session) return undefined;
    const left =
      session.accessExpiresAt === undefined ? Number.POSITIVE_INFINITY : session.accessExpiresAt - this.now();
    // Short-lived tokens are refreshed in their last quarter, not on every call.
    const margin = Math.min(this.options.refreshMarginMs, (session.accessLifetime ?? Number.POSITIVE_INFINITY) / 4);
    if (left > margin) return session.access;
    try {
      return (await this.refresh(session.access))?.access;
    } catch (error) {
      // The server is out of reach: a token that has not expired yet still does.
      if (isRetryable(error) && left > 0) return session.access;
      throw error;
    }
  }

  /**
   * Refreshes once for everybody: concurrent callers share one request, other
   * tabs wait for the lock, and a caller whose token has meanwhile been
   * replaced (here or in another tab) gets the new one without a request.
   * Rejects with SessionEndedError when the server refuses the session.
   */
  refresh(staleAccess?: string): Promise<Session | null> {
    this.inFlight ??= this.ready
      .then(() => this.options.lock(() => this.rotate(staleAccess)))
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  /** Stores a new session (login, OTP login, a pair set by hand), with the profile of its user. */
  async establish(grant: Grant): Promise<Session> {
    await this.ready;
    const known = this.state?.user;
    const user =
      known && known.id === tokenClaims(grant.access).userId
        ? known
        : await this.options.fetchUser(grant.access).catch(() => null);
    return this.options.lock(async () => {
      const previous = await this.latest();
      // A login replaces the session; the one it replaces is ended on the server too.
      if (previous?.refresh !== undefined && previous.refresh !== grant.refresh) {
        void this.options.authority.revoke(previous.refresh).catch(() => undefined);
      }
      return (await this.commit({ access: grant.access, refresh: grant.refresh, user }, "SIGNED_IN")) as Session;
    });
  }

  /**
   * A new access token for the same session (step-up): it replaces the one
   * held, the refresh token stays. Answers null when the session ended meanwhile.
   */
  async replaceAccess(access: string): Promise<Session | null> {
    await this.ready;
    return this.options.lock(async () => {
      const current = await this.latest();
      if (!current) return null;
      return this.commit({ access, refresh: current.refresh, user: current.user }, "TOKEN_REFRESHED");
    });
  }

  /** Ends the session on the server (best effort) and here, in every tab. */
  async logout(): Promise<void> {
    await this.ready;
    await this.options.lock(async () => {
      const current = await this.latest();
      // In cookie mode the server clears the cookie even when this tab has no session in memory.
      if (current || this.options.authority.mode === "cookie") {
        await this.options.authority.revoke(current?.refresh).catch(() => undefined);
      }
      await this.end("SIGNED_OUT");
    });
  }

  /** A call made with `access` was refused for good (the user deactivated or deleted): the session is over. */
  async refused(access: string, error: ApiError): Promise<SessionEndedError> {
    await this.options.lock(async () => {
      if (this.state?.access === access) await this.end("SESSION_EXPIRED");
    });
    return new SessionEndedError("refused", { cause: error });
  }

  /** A profile read by the app (`user.me`): kept with the session when it changed. */
  async noteUser(user: User, access: string): Promise<void> {
    const session = this.state;
    if (!session || session.access !== access || JSON.stringify(session.user) === JSON.stringify(user)) return;
    await this.commit({ access: session.access, refresh: session.refresh, user }, "USER_UPDATED");
  }

  private async initialize(): Promise<void> {
    let stored = await this.stored.load().catch(() => null);
    const { mode } = this.options.authority;
    if (stored && mode === "token" && stored.refresh !== undefined && this.expired(stored.refresh)) {
      stored = null;
      await this.stored.remove();
    }
    // Cookie mode: whether there is a session, the cookie knows, and only the server reads it.
    if (mode === "cookie" && (!stored || this.expired(stored.access))) {
      const before = stored;
      stored = await this.options.lock(() => this.probe(before)).catch(() => before);
    }
    this.state = stored ? toSession(stored) : null;
    this.listeners.emit("INITIAL_SESSION", this.state);
    if (this.state && !this.state.user) void this.loadUser(this.state.access);
  }

  private async probe(stored: Stored | null): Promise<Stored | null> {
    try {
      const grant = await this.exchange(undefined);
      const user =
        stored?.user && stored.user.id === tokenClaims(grant.access).userId
          ? stored.user
          : await this.options.fetchUser(grant.access).catch(() => null);
      const next: Stored = { access: grant.access, user };
      await this.stored.save(next);
      return next;
    } catch (error) {
      if (!isApiError(error) || !ENDS_SESSION.has(error.code)) return stored;
      await this.stored.remove();
      return null;
    }
  }

  private async loadUser(access: string): Promise<void> {
    const user = await this.options.fetchUser(access).catch(() => null);
    if (user) await this.noteUser(user, access);
  }

  private async rotate(staleAccess: string | undefined): Promise<Session | null> {
    const current = await this.latest();
    if (!current) return null;
    if (staleAccess !== undefined && current.access !== staleAccess) return current;
    let grant: Grant;
    try {
      grant = await this.exchange(current.refresh);
    } catch (error) {
      // Unreachable server: the session is kept for later. Refused: the session is over.
      if (!isApiError(error) || !ENDS_SESSION.has(error.code)) throw error;
      await this.end("SESSION_EXPIRED");
      throw new SessionEndedError("refused", { cause: error });
    }
    // Without rotation the refresh token stays good.
    return this.commit(
      { access: grant.access, refresh: grant.refresh ?? current.refresh, user: current.user },
      "TOKEN_REFRESHED",
    );
  }

  private async exchange(refresh: string | undefined): Promise<Grant> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.options.authority.exchange(refresh);
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.options.retries) throw error;
        await sleep(this.options.retryDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
      }
    }
  }

  /**
   * The session as it stands, under the lock: in token mode storage is read
   * again, since another tab sharing it may have rotated or ended the session
   * (its message may not have arrived yet).
   */
  private async latest(): Promise<Session | null> {
    if (this.options.authority.mode === "cookie") return this.state;
    const stored = await this.stored.load().catch(() => null);
    if (stored?.access === this.state?.access) return this.state;
    const before = this.state;
    this.state = stored ? toSession(stored) : null;
    if (!this.state) this.listeners.emit("SIGNED_OUT", null);
    else this.listeners.emit(before?.userId === this.state.userId ? "TOKEN_REFRESHED" : "SIGNED_IN", this.state);
    return this.state;
  }

  private async commit(stored: Stored, event: TabEvent): Promise<Session | null> {
    await this.stored.save(stored);
    this.state = toSession(stored);
    this.listeners.emit(event, this.state);
    this.channel?.post({ event, session: stored });
    return this.state;
  }

  private async end(event: "SIGNED_OUT" | "SESSION_EXPIRED"): Promise<void> {
    const had = this.state !== null;
    this.state = null;
    await this.stored.remove();
    if (!had) return;
    this.listeners.emit(event, null);
    this.channel?.post({ event, session: null });
  }

  /** Another tab's event: its session becomes this tab's (storage, when shared, already holds it). */
  private receive(message: unknown): void {
    const { event, session } = (message ?? {}) as { event?: unknown; session?: unknown };
    if (typeof event !== "string" || !TAB_EVENTS.has(event)) return;
    const stored = session === null ? null : parseStored(session);
    if (session !== null && !stored) return;
    void this.ready.then(() => {
      // Already seen: this tab read it from storage first, or it is the session ended already.
      if (stored?.access === this.state?.access && JSON.stringify(stored?.user) === JSON.stringify(this.state?.user)) {
        return;
      }
      this.state = stored ? toSession(stored) : null;
      this.listeners.emit(event as TabEvent, this.state);
    });
  }

  private expired(token: string): boolean {
    const { expiresAt } = tokenClaims(token);
    return expiresAt !== undefined && expiresAt <= this.now();
  }
}
