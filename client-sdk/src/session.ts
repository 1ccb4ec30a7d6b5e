import { isRetryable } from "./errors.js";
import { tokenTimes } from "./jwt.js";
import type { TokenStorage } from "./storage.js";

export interface TokenPair {
  access: string;
  refresh: string;
}

export interface Session extends TokenPair {
  /** When the access token expires, in milliseconds since the epoch (from its `exp` claim). */
  accessExpiresAt: number | undefined;
  /** The access token's lifetime in milliseconds (`exp - iat`). */
  accessLifetime: number | undefined;
}

/**
 * - `SIGNED_IN`: a pair was stored (login, OTP login, setSession).
 * - `TOKEN_REFRESHED`: the pair was rotated.
 * - `SIGNED_OUT`: logout.
 * - `SESSION_EXPIRED`: the server refused the refresh token for good (expired, revoked,
 *   the user deactivated or deleted); the pair was cleared.
 */
export type AuthEvent = "SIGNED_IN" | "TOKEN_REFRESHED" | "SIGNED_OUT" | "SESSION_EXPIRED";
export type AuthListener = (event: AuthEvent, session: Session | null) => void;

export interface SessionOptions {
  storage: TokenStorage;
  storageKey: string;
  /** Refresh when the access token has less than this left. */
  refreshMarginMs: number;
  /** Exchanges a refresh token for a new pair: the server's `auth.refresh`. */
  exchange(refresh: string): Promise<{ access: string; refresh?: string | undefined }>;
  /** How often a refresh that fails on the network is tried again, with exponential backoff. */
  retries: number;
  retryDelayMs: number;
  now?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LockManager {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/**
 * The token manager (after Supabase auth-js): keeps the pair, hands out an
 * access token that is still good, and refreshes it, once for all concurrent
 * callers, shortly before it expires or when the server calls it invalid.
 */
export class SessionManager {
  private cached: Session | null | undefined;
  private inFlight: Promise<Session | null> | undefined;
  private readonly listeners = new Set<AuthListener>();
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<Session | null> {
    if (this.cached === undefined) this.cached = await this.load();
    return this.cached;
  }

  async set(pair: TokenPair, event: AuthEvent = "SIGNED_IN"): Promise<Session> {
    const session = toSession(pair);
    this.cached = session;
    await this.options.storage.setItem(this.options.storageKey, JSON.stringify(pair));
    this.emit(event, session);
    return session;
  }

  async clear(event: "SIGNED_OUT" | "SESSION_EXPIRED"): Promise<void> {
    const had = (await this.get()) !== null;
    this.cached = null;
    await this.options.storage.removeItem(this.options.storageKey);
    if (had) this.emit(event, null);
  }

  onChange(listener: AuthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An access token with more than the margin left (refreshed first if needed); undefined without a session. */
  async accessToken(): Promise<string | undefined> {
    const session = await this.get();
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
   * Refreshes once for everybody: concurrent callers share one request, and a
   * caller whose token has meanwhile been replaced gets the new one without
   * another request.
   */
  refresh(staleAccess?: string): Promise<Session | null> {
    this.inFlight ??= this.locked(() => this.rotate(staleAccess)).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async rotate(staleAccess: string | undefined): Promise<Session | null> {
    // Read storage again: another tab may have rotated the pair already.
    const current = await this.load();
    this.cached = current;
    if (!current) return null;
    if (staleAccess !== undefined && current.access !== staleAccess) return current;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const pair = await this.options.exchange(current.refresh);
        // Rotation gives a new refresh token; without rotation the old one stays good.
        return await this.set({ access: pair.access, refresh: pair.refresh ?? current.refresh }, "TOKEN_REFRESHED");
      } catch (error) {
        if (isRetryable(error) && attempt < this.options.retries) {
          await sleep(this.options.retryDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
          continue;
        }
        // Unreachable server: keep the session for later. Refused: the session is over.
        if (!isRetryable(error)) await this.clear("SESSION_EXPIRED");
        throw error;
      }
    }
  }

  /** Browsers: one tab refreshes at a time (a refresh token is good once). */
  private locked<T>(work: () => Promise<T>): Promise<T> {
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
    return locks ? locks.request(`${this.options.storageKey}:refresh`, work) : work();
  }

  private async load(): Promise<Session | null> {
    const raw = await this.options.storage.getItem(this.options.storageKey);
    if (!raw) return null;
    try {
      const pair = JSON.parse(raw) as Partial<TokenPair>;
      return typeof pair.access === "string" && typeof pair.refresh === "string" ? toSession(pair as TokenPair) : null;
    } catch {
      return null;
    }
  }

  private emit(event: AuthEvent, session: Session | null) {
    for (const listener of this.listeners) {
      try {
        listener(event, session);
      } catch {
        // A listener's failure is its own; the others still hear the event.
      }
    }
  }
}

function toSession(pair: TokenPair): Session {
  const { expiresAt, issuedAt } = tokenTimes(pair.access);
  return {
    access: pair.access,
    refresh: pair.refresh,
    accessExpiresAt: expiresAt,
    accessLifetime: expiresAt !== undefined && issuedAt !== undefined ? expiresAt - issuedAt : undefined,
  };
}
