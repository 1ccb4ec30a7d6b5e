import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Queryable } from "../../server/django-import/from-postgres.js";
import { adminQuery, databaseUrl } from "./database.js";

/** The fixtures made by running the real Django service (tests/fixtures/django/README.md). */
const fixture = (name: string) => new URL(`../fixtures/django/${name}`, import.meta.url);
export const fixturePath = (name: string) => fixture(name).pathname;
const json = <T>(name: string): T => JSON.parse(readFileSync(fixture(name), "utf8"));

export interface FixtureUser {
  id: number | null;
  username: string;
  password: string | null;
  email: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  state: "active" | "inactive" | "deleted";
}

export interface FixtureToken {
  label: string;
  username: string;
  user_id: number;
  refresh: string;
  access: string;
  jti: string;
  expected: "valid" | "revoked";
  user_state: "active" | "inactive" | "deleted";
  outstanding_row: unknown;
}

export const djangoUsers = json<FixtureUser[]>("users.json");
export const djangoTokens = json<{ signing_key: string; refresh_tokens: FixtureToken[] }>("tokens.json");
export const DJANGO_SIGNING_KEY = djangoTokens.signing_key;

export interface DjangoSource {
  /** `--from` for the command line. */
  from: string;
  /** Set on PGlite runs, where the source is a second in-process database, not a URL. */
  open?: () => Promise<Queryable & { end(): Promise<void> }>;
  drop(): Promise<void>;
}

/**
 * The Django service's database, loaded from `django.sql`: a real PostgreSQL
 * database when the suite runs on one, else a second in-memory PGlite.
 */
export async function djangoSourceDatabase(): Promise<DjangoSource> {
  const dump = readFileSync(fixture("django.sql"), "utf8");
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    const name = `jwtt_django_${randomBytes(4).toString("hex")}`;
    await adminQuery(adminUrl, `create database "${name}"`);
    const url = databaseUrl(adminUrl, name);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(dump);
    await client.end();
    return {
      from: url,
      drop: async () => {
        await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
      },
    };
  }
  const source = await PGlite.create("memory://");
  await source.exec(dump);
  await source.exec("set search_path to public");
  return {
    from: "postgres://django-fixture.invalid/django",
    open: async () => ({
      query: async <R>(text: string, params?: unknown[]) => ({ rows: (await source.query<R>(text, params)).rows }),
      end: async () => {},
    }),
    drop: () => source.close(),
  };
}
