import { isApiError, isRetryable } from "./errors.js";
import { type Procedures, procedureKinds } from "./generated/api.js";
import { type AuthListener, type Session, SessionManager, type TokenPair } from "./session.js";
import { memoryStorage, type TokenStorage } from "./storage.js";
import { createTransport } from "./transport.js";

export interface ClientOptions {
  /** The server's origin, e.g. `https://auth.example.com` (the typed API is served under /trpc). */
  url: string;
  /** Where the session is kept: memory by default; `localStorage` in browsers, or your own. */
  storage?: TokenStorage;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** The storage key of the session. */
  storageKey?: string;
  /** Refresh when the access token has less than this left (default 30 s). */
  refreshMarginMs?: number;
  /** Network and 502–504 failures: how often a refresh or a query is tried again (default 3). Mutations are never repeated. */
  retries?: number;
  /** The first retry's delay; each next one doubles (default 300 ms). */
  retryDelayMs?: number;
}

type Method<P> = P extends { input: infer I; output: infer O }
  ? [I] extends [undefined]
    ? () => Promise<O>
    : undefined extends I
      ? (input?: Exclude<I, undefined>) => Promise<O>
      : (input: I) => Promise<O>
  : never;

type RouterName = keyof Procedures extends infer P ? (P extends `${infer R}.${string}` ? R : never) : never;

/** Every procedure of the server, by router: `client.task.list()`, `client.user.me()`, … */
export type Api = {
  [R in RouterName]: {
    [P in keyof Procedures as P extends `${R}.${infer N}` ? N : never]: Method<Procedures[P]>;
  };
};

export interface SessionApi {
  /** Username and password to a stored session. */
  login(input: Procedures["auth.obtainToken"]["input"]): Promise<Session>;
  /** OTP login, step one: mails a code. */
  requestOtp(input: Procedures["otp.request"]["input"]): Promise<Procedures["otp.request"]["output"]>;
  /** OTP login, step two: the mailed code to a stored session. */
  verifyOtp(input: Procedures["otp.verify"]["input"]): Promise<Session>;
  /** Revokes the refresh token on the server (best effort) and forgets the pair. */
  logout(): Promise<void>;
  /** The stored session, if any. */
  current(): Promise<Session | null>;
  /** Stores a pair obtained elsewhere. */
  set(pair: TokenPair): Promise<Session>;
  /** Refreshes now (normally automatic). */
  refresh(): Promise<Session | null>;
  /** Listens to SIGNED_IN, TOKEN_REFRESHED, SIGNED_OUT and SESSION_EXPIRED; returns the unsubscribe function. */
  onChange(listener: AuthListener): () => void;
}

export type Client = Api & { session: SessionApi };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A typed client for every procedure. It attaches the access token, refreshes
 * it shortly before expiry and on a `token_not_valid` answer (one refresh for
 * all concurrent calls), stores the rotated refresh token, and retries only
 * network and gateway failures.
 */
export function createClient(options: ClientOptions): Client {
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 300;
  const transport = createTransport(options.url, options.fetch);
  const session = new SessionManager({
    storage: options.storage ?? memoryStorage(),
    storageKey: options.storageKey ?? "jwt-auth.session",
    refreshMarginMs: options.refreshMarginMs ?? 30_000,
    retries,
    retryDelayMs,
    exchange: (refresh) =>
      transport("auth.refresh", "mutation", { refresh }, undefined) as Promise<Procedures["auth.refresh"]["output"]>,
  });

  async function call(path: keyof Procedures, input: unknown): Promise<unknown> {
    const kind = procedureKinds[path];
    let refreshed = false;
    for (let attempt = 0; ; attempt += 1) {
      const token = await session.accessToken();
      try {
        return await transport(path, kind, input, token);
      } catch (error) {
        // The token died early (revoked, or the clocks disagree): refresh once, then try again.
        if (token !== undefined && !refreshed && isApiError(error, "token_not_valid")) {
          refreshed = true;
          await session.refresh(token);
          continue;
        }
        if (kind === "query" && isRetryable(error) && attempt < retries) {
          await sleep(retryDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
          continue;
        }
        throw error;
      }
    }
  }

  const api: Record<string, Record<string, (input?: unknown) => Promise<unknown>>> = {};
  for (const path of Object.keys(procedureKinds) as Array<keyof Procedures>) {
    const [router = "", name = ""] = path.split(".");
    api[router] ??= {};
    api[router][name] = (input?: unknown) => call(path, input);
  }

  const sessionApi: SessionApi = {
    async login(input) {
      const pair = (await transport("auth.obtainToken", "mutation", input, undefined)) as TokenPair;
      return session.set(pair);
    },
    requestOtp: (input) => transport("otp.request", "mutation", input, undefined) as Promise<{ message: string }>,
    async verifyOtp(input) {
      const pair = (await transport("otp.verify", "mutation", input, undefined)) as TokenPair;
      return session.set(pair);
    },
    async logout() {
      const current = await session.get();
      if (current) {
        await transport("auth.blacklist", "mutation", { refresh: current.refresh }, undefined).catch(() => {
          // Already revoked, expired or unreachable: the pair is forgotten either way.
        });
      }
      await session.clear("SIGNED_OUT");
    },
    current: () => session.get(),
    set: (pair) => session.set(pair),
    refresh: () => session.refresh(),
    onChange: (listener) => session.onChange(listener),
  };

  return { ...(api as unknown as Api), session: sessionApi };
}
