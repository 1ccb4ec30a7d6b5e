import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  type AuthEvent,
  createClient,
  isApiError,
  isSessionEnded,
  NetworkError,
  type TokenStorage,
} from "../../client-sdk/src/index.js";
import { useTestApp } from "../helpers/app.js";
import { otpCode, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { accessClaims, decodePayload, mint } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

const app = useTestApp({ env: () => ({ SMTP_URL: smtp.url, ACCESS_TOKEN_LIFETIME: "3" }) });

/** A fetch that counts requests per procedure and can be told to fail some. */
function instrumentedFetch() {
  const calls: string[] = [];
  let failures: Array<(path: string) => Response | Error | undefined> = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const path = url.pathname.replace(/^\/trpc\//, "");
    calls.push(path);
    for (const failure of failures) {
      const outcome = failure(path);
      if (outcome instanceof Error) throw outcome;
      if (outcome) return outcome;
    }
    return fetch(input, init);
  };
  return {
    fetch: fetchImpl,
    calls,
    count: (path: string) => calls.filter((call) => call === path).length,
    failWith: (rule: (path: string) => Response | Error | undefined) => failures.push(rule),
    heal: () => {
      failures = [];
    },
  };
}

/** Swaps in a valid access token with seconds left of two minutes, so that the next call refreshes first. */
async function expireSoon(client: ReturnType<typeof createClient>) {
  const current = await client.session.current();
  const userId = decodePayload(current?.access ?? "").user_id;
  const now = Math.floor(Date.now() / 1000);
  const access = await mint(accessClaims(userId, { iat: now - 117, exp: now + 3 }));
  await client.session.set({ access, refresh: current?.refresh ?? "" });
}

async function signedIn(options: { refreshMarginMs?: number; storage?: TokenStorage } = {}) {
  const net = instrumentedFetch();
  const client = createClient({ url: app().url, fetch: net.fetch, retryDelayMs: 10, ...options });
  const account = newAccount();
  await client.auth.register(account);
  await client.session.login({ username: account.username, password: STRONG_PASSWORD });
  return { client, net, account };
}

describe("the typed client SDK against a running server", () => {
  it("calls every kind of procedure, typed, with the access token attached", async () => {
    const { client, account } = await signedIn();
    const me = await client.user.me();
    expect(me.username).toBe(account.username);
    const task = await client.task.create({ title: "from the SDK" });
    expect(await client.task.byId({ id: task.id })).toEqual(task);
    expect(await client.task.list()).toEqual([task]);
    expect((await client.task.page({ limit: 1 })).count).toBe(1);
    await client.task.remove({ id: task.id });
  });

  it("ten concurrent calls across an access-token expiry cause exactly one refresh", async () => {
    const { client, net } = await signedIn({ refreshMarginMs: 1_000 });
    const session = await client.session.current();
    const before = session?.refresh;
    // Into the token's last 750 ms (the margin for a 3 s token), whatever the fraction of a second `exp` was cut at.
    await new Promise((resolve) => setTimeout(resolve, (session?.accessExpiresAt ?? 0) - Date.now() - 400));
    const results = await Promise.all(Array.from({ length: 10 }, () => client.user.me()));
    expect(new Set(results.map((me) => me.id)).size).toBe(1);
    expect(net.count("auth.refresh")).toBe(1);
    // The rotated refresh token is the one kept.
    const after = await client.session.current();
    expect(after?.refresh).not.toBe(before);
    expect(decodePayload(after?.access ?? "").exp as number).toBeGreaterThan(Date.now() / 1000);
  });

  it("refreshes and retries once when the server calls the access token not valid", async () => {
    const { client, net } = await signedIn({ refreshMarginMs: 0 });
    const before = net.count("user.me");
    const current = await client.session.current();
    // An access token the client believes in (far expiry) but the server refuses (wrong key).
    const forged = await mint(accessClaims(decodePayload(current?.access ?? "").user_id, { exp: 4102444800 }), {
      key: "not-the-servers-key-not-the-servers-key",
    });
    await client.session.set({ access: forged, refresh: current?.refresh ?? "" });
    const me = await client.user.me();
    expect(me.id).toBe(decodePayload(current?.access ?? "").user_id);
    expect(net.count("auth.refresh")).toBe(1);
    expect(net.count("user.me") - before).toBe(2);
  });

  it("ends the session with SESSION_EXPIRED and a SessionEndedError when the refresh token was revoked", async () => {
    const { client } = await signedIn();
    await expireSoon(client);
    const events: AuthEvent[] = [];
    client.session.onChange((event) => events.push(event));
    const current = await client.session.current();
    await app()
      .caller()
      .auth.blacklist({ refresh: current?.refresh ?? "" });
    const error = await client.user.me().catch((e: unknown) => e);
    if (!isSessionEnded(error)) throw error;
    expect(error.reason).toBe("refused");
    expect(isApiError(error.cause, "token_not_valid")).toBe(true);
    expect(events).toEqual(["INITIAL_SESSION", "SESSION_EXPIRED"]);
    expect(await client.session.current()).toBeNull();
    // Without a session, protected calls say so.
    const anonymous = await client.user.me().catch((e: unknown) => e);
    expect(isApiError(anonymous, "not_authenticated")).toBe(true);
  });

  it("logout revokes the refresh token on the server and clears the pair", async () => {
    const { client } = await signedIn();
    const events: AuthEvent[] = [];
    client.session.onChange((event) => events.push(event));
    const refresh = (await client.session.current())?.refresh ?? "";
    await client.session.logout();
    expect(await client.session.current()).toBeNull();
    expect(events).toEqual(["INITIAL_SESSION", "SIGNED_OUT"]);
    const reuse = await app()
      .caller()
      .auth.refresh({ refresh })
      .catch((e: unknown) => e);
    expect((reuse as { cause?: { code?: string } }).cause?.code).toBe("token_not_valid");
  });

  it("gives typed errors with machine codes and field names", async () => {
    const client = createClient({ url: app().url });
    const error = await client.auth
      .register({ ...newAccount(), username: "bad name", password: "1234", password2: "1234" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    if (!isApiError(error, "validation_failed")) throw error;
    expect(error.status).toBe(400);
    expect(Object.keys(error.fieldErrors)).toEqual(["username", "password"]);
    const login = await client.session
      .login({ username: "nobody", password: "wrong-password" })
      .catch((e: unknown) => e);
    expect(isApiError(login, "authentication_failed")).toBe(true);
  });

  it("retries queries (never mutations) on network and 502–504 failures, with backoff", async () => {
    const { client, net } = await signedIn();
    const before = net.count("user.me");
    let failures = 2;
    net.failWith((path) => (path === "user.me" && failures-- > 0 ? new TypeError("fetch failed") : undefined));
    expect((await client.user.me()).id).toBeGreaterThan(0);
    expect(net.count("user.me") - before).toBe(3);

    net.heal();
    net.failWith((path) =>
      path === "task.create" ? new Response("<html>bad gateway</html>", { status: 502 }) : undefined,
    );
    const error = await client.task.create({ title: "once" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).status).toBe(502);
    expect(net.count("task.create")).toBe(1);

    net.heal();
    net.failWith((path) => (path === "user.me" ? new Response("unavailable", { status: 503 }) : undefined));
    await expect(client.user.me()).rejects.toBeInstanceOf(NetworkError);
    expect(net.count("user.me") - before).toBe(3 + 4);
  });

  it("keeps the session when the refresh cannot reach the server (using the token while it lasts), and refreshes once it can", async () => {
    const { client, net } = await signedIn();
    await expireSoon(client);
    const events: AuthEvent[] = [];
    client.session.onChange((event) => events.push(event));
    net.failWith((path) => (path === "auth.refresh" ? new Response("gateway timeout", { status: 504 }) : undefined));
    expect((await client.user.me()).id).toBeGreaterThan(0);
    expect(net.count("auth.refresh")).toBe(4);
    expect(events).toEqual(["INITIAL_SESSION"]);
    expect(await client.session.current()).not.toBeNull();
    net.heal();
    expect((await client.user.me()).id).toBeGreaterThan(0);
    expect(events).toEqual(["INITIAL_SESSION", "TOKEN_REFRESHED"]);
  });

  it("keeps the pair in pluggable storage, shared by clients on it", async () => {
    const items = new Map<string, string>();
    const storage: TokenStorage = {
      getItem: async (key) => items.get(key) ?? null,
      setItem: async (key, value) => void items.set(key, value),
      removeItem: async (key) => void items.delete(key),
    };
    const { account } = await signedIn({ storage });
    expect([...items.keys()]).toEqual(["jwt-auth.session"]);
    const later = createClient({ url: app().url, storage });
    expect((await later.user.me()).username).toBe(account.username);
  });

  it("logs in with a mailed one-time code", async () => {
    const client = createClient({ url: app().url });
    const account = newAccount();
    await client.auth.register(account);
    const events: AuthEvent[] = [];
    client.session.onChange((event) => events.push(event));
    await expect(client.session.requestOtp({ username: account.username, password: STRONG_PASSWORD })).resolves.toEqual(
      {
        message: "OTP sent to your registered email address.",
      },
    );
    const mail = await smtp.waitFor((m) => m.to === account.email);
    const session = await client.session.verifyOtp({ username: account.username, otp: otpCode(mail) });
    expect(session.accessExpiresAt).toBeGreaterThan(Date.now());
    expect((await client.user.me()).username).toBe(account.username);
    expect(events).toEqual(["INITIAL_SESSION", "SIGNED_IN"]);
  });
});
