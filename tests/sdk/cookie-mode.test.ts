import { describe, expect, it } from "vitest";
import {
  type AuthEvent,
  createClient,
  isMfaRequired,
  isSessionEnded,
  type TokenStorage,
} from "../../client-sdk/src/index.js";
import { useTestApp } from "../helpers/app.js";
import { currentStep, totpCode, withTotp } from "../helpers/mfa.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const app = useTestApp({ env: { REFRESH_COOKIE: "true" } });

/** A browser's cookie jar, by name and path, for Node's fetch (which has none). */
function cookieJar() {
  const cookies = new Map<string, { value: string; path: string }>();
  const bodies: string[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    const matching = [...cookies].filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(`${c.path}/`));
    if (matching.length > 0) headers.set("cookie", matching.map(([name, c]) => `${name}=${c.value}`).join("; "));
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split("; ");
      const at = pair.indexOf("=");
      const path = attributes.find((a) => a.startsWith("Path="))?.slice(5) ?? "/";
      if (attributes.includes("Max-Age=0")) cookies.delete(pair.slice(0, at));
      else cookies.set(pair.slice(0, at), { value: pair.slice(at + 1), path });
    }
    bodies.push(await response.clone().text());
    return response;
  };
  return { fetch: fetchImpl, cookies, bodies };
}

function recordingStorage(): TokenStorage & { writes: string[] } {
  const items = new Map<string, string>();
  const writes: string[] = [];
  return {
    writes,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      writes.push(value);
      items.set(key, value);
    },
    removeItem: (key) => void items.delete(key),
  };
}

async function registered() {
  const account = newAccount();
  await app().caller().auth.register(account);
  return account;
}

describe("the SDK in cookie mode", () => {
  it("completes a login's second step: the refresh token goes to the cookie, never to JavaScript", async () => {
    const { account, secret, confirmedStep } = await withTotp(app());
    const jar = cookieJar();
    const client = createClient({ url: app().url, mode: "cookie", fetch: jar.fetch });
    const error = await client.session
      .login({ username: account.username, password: STRONG_PASSWORD })
      .catch((e: unknown) => e);
    if (!isMfaRequired(error)) throw error;
    expect([...jar.cookies.keys()]).toEqual([]);
    const session = await client.session.completeMfa({
      mfa_token: error.mfa.mfa_token,
      method: "totp",
      code: totpCode(secret, Math.max(confirmedStep + 1, currentStep())),
    });
    expect(session.refresh).toBeUndefined();
    expect([...jar.cookies.keys()].sort()).toEqual(["jwt_access", "jwt_refresh"]);
    const refreshToken = jar.cookies.get("jwt_refresh")?.value ?? "";
    expect(refreshToken.split(".")).toHaveLength(3);
    expect(jar.bodies.filter((body) => body.includes(refreshToken))).toEqual([]);
    expect((await client.session.refresh())?.userId).toBe(session.userId);
  });

  it("never sees the refresh token: not in answers, not in storage, not in the session", async () => {
    const account = await registered();
    const jar = cookieJar();
    const storage = recordingStorage();
    const client = createClient({ url: app().url, mode: "cookie", fetch: jar.fetch, storage });
    const events: AuthEvent[] = [];
    client.session.onChange((event) => events.push(event));

    const session = await client.session.login({ username: account.username, password: STRONG_PASSWORD });
    expect(session.refresh).toBeUndefined();
    expect(session.user?.username).toBe(account.username);
    const refresh = jar.cookies.get("jwt_refresh")?.value ?? "";
    expect(refresh).not.toBe("");
    expect((await client.task.create({ title: "cookie" })).title).toBe("cookie");
    const rotated = await client.session.refresh();
    expect(jar.cookies.get("jwt_refresh")?.value).not.toBe(refresh);
    expect(rotated?.access).not.toBe(session.access);

    for (const text of [...jar.bodies, ...storage.writes]) {
      expect(text).not.toContain(refresh);
      expect(text).not.toContain(jar.cookies.get("jwt_refresh")?.value);
    }
    await client.session.logout();
    expect(jar.cookies.size).toBe(0);
    expect(events).toEqual(["INITIAL_SESSION", "SIGNED_IN", "TOKEN_REFRESHED", "SIGNED_OUT"]);
    await expect(client.session.set({ access: "a", refresh: "b" })).rejects.toThrow(/token mode/);
  });

  it("finds the session on load from the cookie alone (INITIAL_SESSION with the user), or none", async () => {
    const account = await registered();
    const jar = cookieJar();
    const first = createClient({ url: app().url, mode: "cookie", fetch: jar.fetch });
    await first.session.login({ username: account.username, password: STRONG_PASSWORD });

    // A reload: nothing in memory, the cookie in the jar.
    const reloaded = createClient({ url: app().url, mode: "cookie", fetch: jar.fetch });
    const initial = await new Promise((resolve) =>
      reloaded.session.onChange((event, session) => event === "INITIAL_SESSION" && resolve(session)),
    );
    expect(initial).toMatchObject({ user: { username: account.username }, refresh: undefined });
    expect((await reloaded.user.me()).username).toBe(account.username);

    const stranger = createClient({ url: app().url, mode: "cookie", fetch: cookieJar().fetch });
    expect(await stranger.session.current()).toBeNull();
    expect(stranger.store.getSnapshot().status).toBe("signed-out");
  });

  it("ends the session with SESSION_EXPIRED and SessionEndedError when the server refuses the cookie", async () => {
    const account = await registered();
    const jar = cookieJar();
    const client = createClient({ url: app().url, mode: "cookie", fetch: jar.fetch });
    const session = await client.session.login({ username: account.username, password: STRONG_PASSWORD });
    await app().caller(`Bearer ${session.access}`).user.revokeAllSessions();
    const error = await client.session.refresh().catch((e: unknown) => e);
    expect(isSessionEnded(error)).toBe(true);
    expect(jar.cookies.size).toBe(0);
    expect(client.store.getSnapshot()).toMatchObject({ status: "signed-out", reason: "SESSION_EXPIRED" });
  });
});
