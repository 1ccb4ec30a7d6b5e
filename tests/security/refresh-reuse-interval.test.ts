import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { decodePayload } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// React's StrictMode, two tabs and a retried request send the same refresh
// token twice. Within REFRESH_TOKEN_REUSE_INTERVAL (10 s by default) the
// repeat gets the successor the first rotation issued, not a revocation.

const app = useTestApp();
const api = client(() => app().url);
const INTERVAL = 10;

async function session() {
  const body = newAccount();
  expect((await api.post("/api/users/register/", body)).status).toBe(201);
  const res = await api.post("/api/token/", { username: body.username, password: STRONG_PASSWORD });
  return res.body as { access: string; refresh: string };
}

const jti = (token: string) => decodePayload(token).jti as string;

async function childrenOf(token: string) {
  const rows = await app()
    .db.db.selectFrom("refresh_tokens")
    .select("successor_jti")
    .where("jti", "=", jti(token))
    .execute();
  return rows.map((row) => row.successor_jti);
}

/** Moves a rotation into the past, as if it had happened `seconds` ago. */
const rotatedAgo = (token: string, seconds: number) =>
  app()
    .db.db.updateTable("refresh_tokens")
    .set({ revoked_at: sql<Date>`now() - make_interval(secs => ${seconds})` })
    .where("jti", "=", jti(token))
    .execute();

describe("the refresh reuse interval", () => {
  it("answers StrictMode's two refreshes of one token with the same successor, and keeps the session", async () => {
    const pair = await session();
    const [a, b] = await Promise.all([
      api.post("/api/token/refresh/", { refresh: pair.refresh }),
      api.post("/api/token/refresh/", { refresh: pair.refresh }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.refresh).toBe(b.body.refresh);
    for (const access of [a.body.access, b.body.access]) {
      expect((await api.get("/api/users/profile/", { token: access })).status).toBe(200);
    }
    const next = await api.post("/api/token/refresh/", { refresh: a.body.refresh });
    expect(next.status).toBe(200);
  });

  it("makes exactly one successor however many requests race, on REST and tRPC alike", async () => {
    const pair = await session();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? api.post("/trpc/auth.refresh", { refresh: pair.refresh })
          : api.post("/api/token/refresh/", { refresh: pair.refresh }),
      ),
    );
    const refreshes = results.map((res) => (res.body.refresh ?? res.body.result?.data?.refresh) as string);
    expect(results.map((res) => res.status)).toEqual(results.map(() => 200));
    expect(new Set(refreshes).size).toBe(1);
    const successor = refreshes[0] as string;
    expect(await childrenOf(pair.refresh)).toEqual([jti(successor)]);
    const rows = await app()
      .db.db.selectFrom("refresh_tokens")
      .select("jti")
      .where("family_id", "=", jti(pair.refresh).slice(0, 24))
      .execute();
    expect(rows).toHaveLength(2);
    expect((await api.post("/api/token/refresh/", { refresh: successor })).status).toBe(200);
  });

  it("treats the token as reused at the edge: the last second of the interval still answers, the next ends the session", async () => {
    const pair = await session();
    const first = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    await rotatedAgo(pair.refresh, INTERVAL - 0.5);
    const within = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect([within.status, within.body.refresh]).toEqual([200, first.body.refresh]);
    await rotatedAgo(pair.refresh, INTERVAL + 0.5);
    const after = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect([after.status, after.body]).toEqual([401, { detail: "Token is blacklisted", code: "token_not_valid" }]);
    // Reuse ended the session: the successor is dead too.
    expect((await api.post("/api/token/refresh/", { refresh: first.body.refresh })).status).toBe(401);
    const events = await app()
      .db.db.selectFrom("auth_events")
      .select("event")
      .where("event", "=", "refresh_reuse_detected")
      .where(sql<boolean>`detail->>'family' = ${jti(pair.refresh).slice(0, 24)}`)
      .execute();
    expect(events).toHaveLength(1);
  });

  it("gives nothing for a session that ended within the interval", async () => {
    const pair = await session();
    const first = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect((await api.post("/api/token/blacklist/", { refresh: first.body.refresh })).status).toBe(200);
    const again = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect(again.status).toBe(401);
  });
});
