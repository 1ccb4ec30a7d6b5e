import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { pruneAll } from "../../server/services/pruning.js";
import { fastHasher, startTestApp, type TestApp, testConfig } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { DJANGO_SIGNING_KEY, type DjangoSource, djangoSourceDatabase, djangoTokens } from "../helpers/django.js";
import { http } from "../helpers/http.js";
import { decodePayload } from "../helpers/tokens.js";

// A refresh token that was logged out, rotated or pruned never comes back to
// life through a later `import-django` run.

const env = { JWT_SIGNING_KEY: DJANGO_SIGNING_KEY };
let source: DjangoSource;
let target: TestDatabase;
let app: TestApp;

async function importDjango() {
  const scripted = scriptedIO();
  const code = await runCli(["import-django", "--from", source.from], {
    io: scripted.io,
    loadConfig: () => testConfig(env),
    database: target,
    hasher: fastHasher,
    ...(source.open ? { openDjangoSource: source.open } : {}),
  });
  expect(code, [...scripted.out, ...scripted.err].join("\n")).toBe(0);
}

const refresh = (token: string) => http(app.url, "POST", "/api/token/refresh/", { body: { refresh: token } });
const logout = (token: string) => http(app.url, "POST", "/api/token/blacklist/", { body: { refresh: token } });

/** Every session of the token's user passes its absolute lifetime (its rows end with it), then the pruner runs. */
async function outliveAndPrune(token: string) {
  const userId = decodePayload(token).user_id as number;
  await target.db
    .updateTable("refresh_families")
    .set({ expires_at: sql<Date>`now() - interval '1 minute'` })
    .where("user_id", "=", userId)
    .execute();
  await target.db
    .updateTable("refresh_tokens")
    .set({ expires_at: sql<Date>`least(expires_at, now() - interval '1 minute')` })
    .where("user_id", "=", userId)
    .execute();
  await pruneAll(target.db);
}

beforeAll(async () => {
  source = await djangoSourceDatabase();
  target = await createTestDatabase();
  await importDjango();
  app = await startTestApp(env, { database: target });
});
afterAll(async () => {
  await app?.app.stop();
  await target?.close();
  await source?.drop();
});

const djangoToken = (label: string) => {
  const token = djangoTokens.refresh_tokens.find((candidate) => candidate.label === label);
  if (!token) throw new Error(`no fixture token ${label}`);
  return token.refresh;
};

describe("what a re-import brings back", () => {
  it("never revives a Django token logged out here, even after its session was pruned", async () => {
    const token = djangoToken("bob-login");
    expect((await logout(token)).status).toBe(200);
    await outliveAndPrune(token);
    await importDjango();
    const res = await refresh(token);
    expect(res.status).toBe(401);
  });

  it("never revives a token issued here and logged out, after a prune and a re-import", async () => {
    const first = await refresh(djangoToken("dave-login"));
    expect(first.status).toBe(200);
    const ours = first.body.refresh as string;
    const rotated = await refresh(ours);
    expect(rotated.status).toBe(200);
    expect((await logout(rotated.body.refresh)).status).toBe(200);
    await outliveAndPrune(ours);
    await importDjango();
    for (const token of [ours, rotated.body.refresh as string]) expect((await refresh(token)).status).toBe(401);
  });

  it("never revives a Django token rotated here", async () => {
    const token = djangoToken("erin-login");
    expect((await refresh(token)).status).toBe(200);
    await outliveAndPrune(token);
    await importDjango();
    expect((await refresh(token)).status).toBe(401);
  });
});
