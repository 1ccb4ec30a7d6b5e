import { describe, expect, it } from "vitest";
import {
  ApiError,
  type AuthEvent,
  type AuthState,
  type Client,
  createClient,
  isApiError,
  isSessionEnded,
  type Session,
  SessionEndedError,
  type TokenStorage,
} from "../../client-sdk/src/index.js";
import { useTestApp } from "../helpers/app.js";
import { accessClaims, decodePayload, mint } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const app = useTestApp();

/** A storage two clients share, as the tabs of one origin share localStorage. */
function sharedStorage(): TokenStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

function countingFetch() {
  const calls: string[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    calls.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
    return fetch(input, init);
  };
  return { fetch: fetchImpl, calls };
}

async function registered() {
  const account = newAccount();
  await app().caller().auth.register(account);
  return account;
}

/** Every event a client's session emits, and a promise for the next one of a kind. */
function recorder(client: Client) {
  const events: Array<{ event: AuthEvent; session: Session | null }> = [];
  const waiters: Array<{ event: AuthEvent; resolve: (session: Session | null) => void }> = [];
  client.session.onChange((event, session) => {
    events.push({ event, session });
    for (const waiter of waiters.filter((w) => w.event === event)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(session);
    }
  });
  return {
    names: () => events.map((entry) => entry.event),
    next: (event: AuthEvent) => new Promise<Session | null>((resolve) => waiters.push({ event, resolve })),
  };
}

let channels = 0;
/** Two "tabs": clients on one storage and one channel name (BroadcastChannel, which Node has too). */
function twoTabs() {
  const storage = sharedStorage();
  channels += 1;
  const storageKey = `tabs-${process.pid}-${channels}`;
  const open = () => createClient({ url: app().url, storage, storageKey, crossTab: true, retryDelayMs: 10 });
  return { storage, storageKey, a: open(), b: open() };
}

describe("the session as an app reads it", () => {
  it("only the session reaches the procedures that issue, rotate or revoke tokens", () => {
    const client = createClient({ url: app().url });
    expect(Object.keys(client.auth).sort()).toEqual([
      "mfaPasskeyOptions",
      "reauthenticateOptions",
      "register",
      "verify",
    ]);
    expect(Object.keys(client.otp)).toEqual(["request"]);
    expect(Object.keys(client.session).sort()).toEqual(
      [
        "completeMfa",
        "current",
        "login",
        "loginWithPasskey",
        "logout",
        "onChange",
        "reauthenticate",
        "refresh",
        "requestOtp",
        "set",
        "user",
        "verifyOtp",
      ].sort(),
    );
    // @ts-expect-error not public: it would rotate the token behind the session's back
    expect(client.auth.refresh).toBeUndefined();
  });

  it("starts with INITIAL_SESSION and the signed-in user from storage, with no request", async () => {
    const account = await registered();
    const storage = sharedStorage();
    const first = createClient({ url: app().url, storage });
    await first.session.login({ username: account.username, password: STRONG_PASSWORD });

    const net = countingFetch();
    const reloaded = createClient({ url: app().url, storage, fetch: net.fetch });
    expect(reloaded.session.user).toBeNull();
    const events = recorder(reloaded);
    const initial = await events.next("INITIAL_SESSION");
    expect(initial?.user).toMatchObject({ username: account.username, email: account.email });
    expect(initial?.userId).toBe(initial?.user?.id);
    expect(reloaded.session.user?.username).toBe(account.username);
    expect(net.calls).toEqual([]);

    const anonymous = createClient({ url: app().url });
    await expect(recorder(anonymous).next("INITIAL_SESSION")).resolves.toBeNull();
  });

  it("offers a store: loading, then signed in with the user, then signed out with the reason; one object per state", async () => {
    const account = await registered();
    const client = createClient({ url: app().url });
    const seen: AuthState[] = [];
    const unsubscribe = client.store.subscribe((state) => seen.push(state));
    expect(seen).toEqual([{ status: "loading", session: null, user: null }]);
    await client.session.current();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(client.store.getSnapshot()).toMatchObject({ status: "signed-out", reason: undefined });

    await client.session.login({ username: account.username, password: STRONG_PASSWORD });
    const signedIn = client.store.getSnapshot();
    expect(signedIn).toMatchObject({ status: "signed-in", user: { username: account.username } });
    expect(client.store.getSnapshot()).toBe(signedIn);
    await client.task.list();
    expect(client.store.getSnapshot()).toBe(signedIn);

    await client.session.logout();
    expect(client.store.getSnapshot()).toEqual({
      status: "signed-out",
      session: null,
      user: null,
      reason: "SIGNED_OUT",
    });
    unsubscribe();
    await client.session.login({ username: account.username, password: STRONG_PASSWORD });
    expect(seen.map((state) => state.status)).toEqual(["loading", "signed-out", "signed-in", "signed-out"]);
  });

  it("tells the other tabs of a login, a refresh and a logout, with the same events", async () => {
    const account = await registered();
    const { a, b } = twoTabs();
    const events = recorder(b);
    await b.session.current();

    const signedIn = events.next("SIGNED_IN");
    const session = await a.session.login({ username: account.username, password: STRONG_PASSWORD });
    expect((await signedIn)?.access).toBe(session.access);
    expect(b.session.user?.username).toBe(account.username);

    const refreshed = events.next("TOKEN_REFRESHED");
    const rotated = await a.session.refresh();
    expect((await refreshed)?.refresh).toBe(rotated?.refresh);
    // The other tab uses the rotated pair without a refresh of its own.
    expect((await b.session.current())?.access).toBe(rotated?.access);
    expect((await b.user.me()).username).toBe(account.username);

    const signedOut = events.next("SIGNED_OUT");
    await a.session.logout();
    await expect(signedOut).resolves.toBeNull();
    expect(events.names()).toEqual(["INITIAL_SESSION", "SIGNED_IN", "TOKEN_REFRESHED", "SIGNED_OUT"]);
    expect(b.store.getSnapshot()).toMatchObject({ status: "signed-out", reason: "SIGNED_OUT" });
  });

  it("tells the other tabs when the server ends the session (SESSION_EXPIRED)", async () => {
    const account = await registered();
    const { a, b } = twoTabs();
    const events = recorder(b);
    const session = await a.session.login({ username: account.username, password: STRONG_PASSWORD });
    await app().caller(`Bearer ${session.access}`).user.revokeAllSessions();
    const expired = events.next("SESSION_EXPIRED");
    const error = await a.session.refresh().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionEndedError);
    await expect(expired).resolves.toBeNull();
    expect(b.store.getSnapshot()).toMatchObject({ status: "signed-out", reason: "SESSION_EXPIRED" });
  });

  it("a call whose user was deactivated ends the session with SessionEndedError", async () => {
    const account = await registered();
    const storage = sharedStorage();
    const client = createClient({ url: app().url, storage });
    const events = recorder(client);
    await client.session.login({ username: account.username, password: STRONG_PASSWORD });
    await app().db.db.updateTable("users").set({ is_active: false }).where("username", "=", account.username).execute();
    const error = await client.task.list().catch((e: unknown) => e);
    if (!isSessionEnded(error)) throw error;
    expect(error.reason).toBe("refused");
    expect(isApiError(error.cause, "user_inactive")).toBe(true);
    expect(events.names()).toEqual(["INITIAL_SESSION", "SIGNED_IN", "SESSION_EXPIRED"]);
    expect(storage.items.size).toBe(0);
  });

  it("a call that finds the session signed out elsewhere fails with SessionEndedError('signed_out')", async () => {
    const account = await registered();
    const storage = sharedStorage();
    const a = createClient({ url: app().url, storage });
    const b = createClient({ url: app().url, storage });
    const session = await a.session.login({ username: account.username, password: STRONG_PASSWORD });
    // b holds an access token about to expire, so its next call refreshes, and finds storage empty.
    const now = Math.floor(Date.now() / 1000);
    const userId = decodePayload(session.access).user_id;
    await b.session.set({
      access: await mint(accessClaims(userId, { iat: now - 290, exp: now + 5 })),
      refresh: session.refresh ?? "",
    });
    const events = recorder(b);
    await a.session.logout();
    const error = await b.user.me().catch((e: unknown) => e);
    if (!isSessionEnded(error)) throw error;
    expect(error.reason).toBe("signed_out");
    expect(events.names()).toEqual(["INITIAL_SESSION", "SIGNED_OUT"]);
  });

  it("recognizes its errors by brand, across copies of the SDK, with instanceof too", async () => {
    // A second copy of the module, as a second bundle of the SDK on one page would have.
    const copyPath = "../../client-sdk/src/errors.js?another-bundle";
    const copy = (await import(/* @vite-ignore */ copyPath)) as typeof import("../../client-sdk/src/errors.js");
    expect(copy.ApiError).not.toBe(ApiError);
    const foreign = new copy.ApiError("not_found", "Not found.", 404);
    expect(isApiError(foreign, "not_found")).toBe(true);
    expect(isApiError(foreign, "throttled")).toBe(false);
    expect(foreign).toBeInstanceOf(ApiError);
    expect(new copy.SessionEndedError("refused")).toBeInstanceOf(SessionEndedError);
    expect(new copy.NetworkError("down")).not.toBeInstanceOf(ApiError);
    expect(copy.isSessionEnded(new SessionEndedError("signed_out"))).toBe(true);
    expect(isApiError({ code: "not_found", status: 404 })).toBe(false);
    expect(new Error("plain")).not.toBeInstanceOf(ApiError);
  });
});
