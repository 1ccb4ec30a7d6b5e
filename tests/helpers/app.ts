import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll } from "vitest";
import { type App, createApp } from "../../server/app.js";
import { type Config, loadConfig } from "../../server/config/config.js";
import { createContext } from "../../server/context.js";
import type { Logger } from "../../server/logger.js";
import type { SenderOptions } from "../../server/mail/sender.js";
import { createCaller } from "../../server/routers/app.js";
import { createArgon2Hasher, type PasswordHasher } from "../../server/services/passwords.js";
import { createTestDatabase, type TestDatabase } from "./database.js";

export const TEST_SIGNING_KEY = "test-signing-key-that-is-long-enough-0123456789";

/** Argon2id with the smallest parameters: the same code path, a thousand times cheaper. */
export const fastHasher = createArgon2Hasher({ memoryCost: 8, timeCost: 1, parallelism: 1 });

/** Without SMTP_URL, mail goes to .eml files: in a scratch folder, never the checkout's outbox. */
const scratchOutbox = mkdtempSync(join(tmpdir(), "jwtt-outbox-"));

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: "test",
    JWT_SIGNING_KEY: TEST_SIGNING_KEY,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    MAIL_OUTBOX_DIR: scratchOutbox,
    // The first background pruning pass comes after half the interval at the earliest: never
    // within a test, whose seeded rows (expired ones included) are its own to check.
    PRUNE_INTERVAL: "86400",
    ...env,
  });
}

/** Retries in milliseconds instead of minutes, so failure paths finish inside a test. */
export const FAST_SENDER: Partial<SenderOptions> = {
  pollMs: 50,
  baseDelayMs: 50,
  maxDelayMs: 200,
  maxAttempts: 3,
  leaseMs: 5_000,
  sendTimeoutMs: 2_000,
};

export interface TestAppOptions {
  env?: Record<string, string> | (() => Record<string, string>);
  log?: Logger;
  sender?: Partial<SenderOptions>;
  hasher?: PasswordHasher;
}

/** The fast hasher, counting what it is asked to do (for tests of what must, or must not, be hashed). */
export function countingHasher() {
  const calls = { hash: 0, verify: 0, verifyNothing: 0 };
  const hasher: PasswordHasher = {
    hash: (password) => {
      calls.hash += 1;
      return fastHasher.hash(password);
    },
    verify: (hash, password) => {
      calls.verify += 1;
      return fastHasher.verify(hash, password);
    },
    verifyNothing: (password) => {
      calls.verifyNothing += 1;
      return fastHasher.verifyNothing(password);
    },
    needsRehash: (passwordHash) => fastHasher.needsRehash(passwordHash),
  };
  return { hasher, calls };
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  config: Config;
  /** http://127.0.0.1:<port> */
  url: string;
  /** A server-side caller, optionally authenticated with an `Authorization` header value. */
  caller(authorization?: string): ReturnType<typeof createCaller>;
}

/** Starts the whole app on a free port over this file's own database (or over `database`). */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { log?: Logger; sender?: Partial<SenderOptions>; database?: TestDatabase; hasher?: PasswordHasher } = {},
): Promise<TestApp> {
  const config = testConfig(env);
  const db = options.database ?? (await createTestDatabase());
  const app = await createApp(config, {
    database: db,
    hasher: options.hasher ?? fastHasher,
    log: options.log ?? pino({ level: "silent" }),
    sender: { ...FAST_SENDER, ...options.sender },
  });
  const port = await app.start();
  return {
    app,
    db,
    config,
    url: `http://127.0.0.1:${port}`,
    caller: (authorization) => createCaller(createContext(app.deps, { authorization })),
  };
}

/** One app per test file, started before its tests and stopped after them. */
export function useTestApp({ env = {}, ...rest }: TestAppOptions = {}): () => TestApp {
  let current: TestApp | undefined;
  beforeAll(async () => {
    current = await startTestApp(typeof env === "function" ? env() : env, rest);
  });
  afterAll(async () => {
    await current?.app.stop();
    await current?.db.close();
  });
  return () => {
    if (!current) throw new Error("the test app is not started yet");
    return current;
  };
}
