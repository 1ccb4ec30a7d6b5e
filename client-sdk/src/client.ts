import { type Api, buildApi } from "./api.js";
import { cookieAuthority, tokenAuthority } from "./authority.js";
import { isApiError, isRetryable, SessionEndedError } from "./errors.js";
import { cookieMode, type Procedures, procedureKinds } from "./generated/api.js";
import { createLock } from "./lock.js";
import type { AuthListener, Session } from "./session.js";
import { SessionManager } from "./session-manager.js";
import { memoryStorage, type TokenStorage } from "./storage.js";
import { type AuthStore, createAuthStore } from "./store.js";
import type { User } from "./stored.js";
import { openTabChannel } from "./tabs.js";
import { createTransport } from "./transport.js";

export interface ClientOptions {
  /** The server's origin, e.g. `https://auth.example.com` (the typed API is served under /trpc). */
  url: string;
  /**
   * `token` (default): the SDK keeps both tokens (in `storage`). `cookie`: the
   * server keeps the refresh token in an HttpOnly cookie that JavaScript never
   * sees (the server must run with REFRESH_COOKIE=true; see the README).
   */
  mode?: "token" | "cookie";
  /** Where the session is kept: memory by default; `localStorage` in browsers, or your own. */
  storage?: TokenStorage;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** The storage key of the session, and the name of the tabs' channel and lock. */
  storageKey?: string;
  /**
   * Keep the tabs of this origin in step: a login, a refresh, a logout or an
   * expiry in one reaches the others, and one tab refreshes at a time. Default:
   * in browsers, when the tabs share the session (`localStorage`, or cookie mode).
   */
  crossTab?: boolean;
  /** Refresh when the access token has less than this left (default 30 s). */
  refreshMarginMs?: number;
  /** Network and 502–504 failures: how often a refresh or a query is tried again (default 3). Mutations are never repeated. */
  retries?: number;
  /** The first retry's delay; each next one doubles (default 300 ms). */
  retryDelayMs?: number;
}

/** A pair obtained elsewhere, for `session.set` (token mode). */
export interface TokenPair {
  access: string;
  refresh: string;
}

export interface SessionApi {
  /** Username and password to a session. */
  login(input: Procedures["auth.obtainToken"]["input"]): Promise<Session>;
  /** OTP login, step one: mails a code. */
  requestOtp(input: Procedures["otp.request"]["input"]): Promise<Procedures["otp.request"]["output"]>;
  /** OTP login, step two: the mailed code to a session. */
  verifyOtp(input: Procedures["otp.verify"]["input"]): Promise<Session>;
  /** A passkey assertion (from `passkey.loginOptions` and the browser's WebAuthn API) to a session. */
  loginWithPasskey(input: Procedures["passkey.login"]["input"]): Promise<Session>;
  /**
   * A login's second step: `login` (or `requestOtp`) rejected with `mfa_required`
   * (see `isMfaRequired`); its `mfa_token` and a TOTP code, a recovery code, or a
   * passkey assertion (options from `client.auth.mfaPasskeyOptions`) to a session.
   */
  completeMfa(input: Procedures["auth.completeMfa"]["input"]): Promise<Session>;
  /**
   * Step-up: a change of password, email or factors was refused with
   * `reauthentication_required`; the password (and a code when TOTP is on) or a
   * passkey assertion (options from `client.auth.reauthenticateOptions`) make
   * the session recent again. Rejects with SessionEndedError without a session.
   */
  reauthenticate(input: Procedures["auth.reauthenticate"]["input"]): Promise<Session>;
  /** Ends the session on the server (best effort) and in every tab. */
  logout(): Promise<void>;
  /** The session once loaded, if any. */
  current(): Promise<Session | null>;
  /** Who is signed in (the profile kept with the session); null when signed out or not loaded yet. */
  readonly user: User | null;
  /** Token mode: stores a pair obtained elsewhere. */
  set(pair: TokenPair): Promise<Session>;
  /** Refreshes now (normally automatic). Rejects with SessionEndedError when the server refuses. */
  refresh(): Promise<Session | null>;
  /** Listens to the session's events (`AuthEvent`), `INITIAL_SESSION` first; returns the unsubscribe function. */
  onChange(listener: AuthListener): () => void;
}

export type Client = Api & {
  /** The session: the only way to obtain, rotate or revoke its tokens. */
  session: SessionApi;
  /** The session as an external store (`subscribe`/`getSnapshot`) for UI frameworks. */
  store: AuthStore;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A typed client for every procedure. It attaches the access token, refreshes
 * it shortly before expiry and on a `token_not_valid` answer (one refresh for
 * all concurrent calls and tabs), stores the rotated refresh token, and
 * retries only network and gateway failures.
 */
export function createClient(options: ClientOptions): Client {
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 300;
  const mode = options.mode ?? "token";
  const origin = options.url.replace(/\/+$/, "");
  const storage = options.storage ?? memoryStorage();
  const storageKey = options.storageKey ?? "jwt-auth.session";
  const transport = createTransport(`${origin}/trpc`, options.fetch);
  const authority =
    mode === "cookie"
      ? cookieAuthority(
          createTransport(`${origin}${cookieMode.path}`, options.fetch, {
            credentials: "include",
            headers: { [cookieMode.csrfHeader]: "jwt-auth" },
          }),
        )
      : tokenAuthority(transport);
  const scope = globalThis as { document?: unknown; localStorage?: unknown };
  const crossTab =
    options.crossTab ??
    (scope.document !== undefined && (mode === "cookie" || (storage as unknown) === scope.localStorage));
  const manager = new SessionManager({
    authority,
    storage,
    storageKey,
    refreshMarginMs: options.refreshMarginMs ?? 30_000,
    retries,
    retryDelayMs,
    fetchUser: (access) => transport("user.me", "query", undefined, access) as Promise<User>,
    lock: createLock(`${storageKey}:lock`, crossTab),
    ...(crossTab ? { openChannel: (receive) => openTabChannel(storageKey, receive) } : {}),
  });
  const store = createAuthStore((listener) => manager.onChange(listener));

  async function call(path: keyof Procedures, input: unknown): Promise<unknown> {
    const kind = procedureKinds[path];
    await manager.ready;
    const hadSession = manager.current() !== null;
    let refreshed = false;
    for (let attempt = 0; ; attempt += 1) {
      const token = await manager.accessToken();
      try {
        const output = await transport(path, kind, input, token);
        if (path === "user.me" && token !== undefined) void manager.noteUser(output as User, token);
        return output;
      } catch (error) {
        // The token died early (revoked, or the clocks disagree): refresh once, then try again.
        if (token !== undefined && !refreshed && isApiError(error, "token_not_valid")) {
          refreshed = true;
          await manager.refresh(token);
          continue;
        }
        if (token !== undefined && isApiError(error, "user_inactive", "user_not_found")) {
          throw await manager.refused(token, error);
        }
        // Signed out meanwhile, here or in another tab.
        if (token === undefined && hadSession && isApiError(error, "not_authenticated")) {
          throw new SessionEndedError("signed_out", { cause: error });
        }
        if (kind === "query" && isRetryable(error) && attempt < retries) {
          await sleep(retryDelayMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
          continue;
        }
        throw error;
      }
    }
  }

  const session: SessionApi = {
    login: async (input) => manager.establish(await authority.login(input)),
    requestOtp: (input) =>
      transport("otp.request", "mutation", input, undefined) as Promise<Procedures["otp.request"]["output"]>,
    verifyOtp: async (input) => manager.establish(await authority.verifyOtp(input)),
    loginWithPasskey: async (input) => manager.establish(await authority.loginWithPasskey(input)),
    completeMfa: async (input) => manager.establish(await authority.completeMfa(input)),
    async reauthenticate(input) {
      const { access } = (await call("auth.reauthenticate", input)) as Procedures["auth.reauthenticate"]["output"];
      const session = await manager.replaceAccess(access);
      if (!session) throw new SessionEndedError("signed_out");
      return session;
    },
    logout: () => manager.logout(),
    current: () => manager.get(),
    get user() {
      return manager.current()?.user ?? null;
    },
    async set(pair) {
      if (mode === "cookie")
        throw new Error("session.set is for token mode: in cookie mode the server sets the cookie");
      return manager.establish(pair);
    },
    refresh: () => manager.refresh(),
    onChange: (listener) => manager.onChange(listener),
  };

  return { ...buildApi(call), session, store };
}
