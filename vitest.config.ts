import { defineConfig } from "vitest/config";

/**
 * The suite, two files at a time; then, one file at a time and alone, the
 * browser tests (Chromium, and a Vite build: timing-sensitive work across tabs
 * that two busy cores starve) and the process tests (real server processes,
 * signals, workers); last the fault suite that stops the PostgreSQL server
 * itself: it only runs when FAULT_PG_CTL says how (see tests/faults/), so that
 * no other test sees the outage.
 */
const faults = Boolean(process.env.FAULT_PG_CTL && process.env.DATABASE_URL);
/** The tests of a transaction-pooling PgBouncer, which .ci/with-pgbouncer starts and names. */
const pooler = Boolean(process.env.TEST_POOLER_URL && process.env.DATABASE_URL);
/**
 * CI's second pass, on embedded PGlite (TEST_PASS=pglite in .ci/run), runs the
 * files whose behaviour rests on the suite's database. It leaves out the ones
 * that run the same whatever that database is (their own PGlite folders, no
 * database, a packed SDK), the browser tests (their server-side behaviour has
 * its own HTTP tests, which this pass runs) and the real-process tests: the
 * first pass runs all of them.
 */
const pglitePass = process.env.TEST_PASS === "pglite" && !process.env.DATABASE_URL;
const sameOnEveryDatabase = [
  "tests/e2e/pglite-ownership.test.ts",
  "tests/cli/launcher.test.ts",
  "tests/migration/django-passwords.test.ts",
  "tests/sdk/pack.test.ts",
  "tests/unit/**",
  "tests/docs/links.test.ts",
];
const inBrowser = [
  "tests/examples/**/*.test.ts",
  "tests/browser/**/*.test.ts",
  "tests/admin/console.test.ts",
  "tests/docs/browser.test.ts",
];

export default defineConfig({
  test: {
    globalSetup: ["tests/global-setup.ts"],
    pool: "forks",
    // Two files at a time (vitest's default on two cores is one): on PostgreSQL most files wait
    // on servers and the database; on PGlite the database is WebAssembly on the test's own
    // thread, so that pass is CPU-bound. Either way two fill the machine's two cores.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "suite",
          include: ["tests/**/*.test.ts"],
          exclude: [
            "tests/faults/**",
            "tests/pooler/**",
            "tests/processes/**",
            ...inBrowser,
            ...(pglitePass ? sameOnEveryDatabase : []),
          ],
        },
      },
      ...(pglitePass
        ? []
        : [
            {
              extends: true as const,
              test: { name: "browser", include: inBrowser, fileParallelism: false, sequence: { groupOrder: 1 } },
            },
            {
              extends: true as const,
              test: {
                name: "processes",
                include: ["tests/processes/**/*.test.ts"],
                fileParallelism: false,
                testTimeout: 60_000,
                sequence: { groupOrder: 2 },
              },
            },
          ]),
      ...(pooler ? [{ extends: true as const, test: { name: "pooler", include: ["tests/pooler/**/*.test.ts"] } }] : []),
      ...(faults
        ? [
            {
              extends: true as const,
              test: {
                name: "faults",
                include: ["tests/faults/**/*.test.ts"],
                fileParallelism: false,
                testTimeout: 120_000,
                sequence: { groupOrder: 3 },
              },
            },
          ]
        : []),
    ],
  },
});
