import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { runToExit } from "../helpers/process.js";

// `npm run manage` runs bin/manage.mjs, which builds only when a source is
// newer than the build. Tried on a copy of the checkout, whose sources the
// test may touch without disturbing the other tests' build.

const copy = mkdtempSync(join(tmpdir(), "manage-launcher-"));
for (const part of ["bin", "server", "migrations", "package.json", "tsconfig.json", "tsconfig.build.json"]) {
  cpSync(join(projectRoot, part), join(copy, part), { recursive: true });
}
symlinkSync(join(projectRoot, "node_modules"), join(copy, "node_modules"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const manage = () => runToExit(join(copy, "bin", "manage.mjs"), ["help"], { PATH: process.env.PATH ?? "" });
const BUILDING = "Building the command line (sources changed since the last build)…";
const built = () => statSync(join(copy, "dist", ".tsbuildinfo")).mtimeMs;

describe("bin/manage.mjs", () => {
  it("builds once, runs the build without compiling after that, and builds again when a source changes", async () => {
    const first = await manage();
    expect([first.code, first.stderr.trim()]).toEqual([0, BUILDING]);
    expect(first.stdout).toContain("usage: npm run manage -- <command>");
    const firstBuild = built();

    const second = await manage();
    expect([second.code, second.stderr]).toEqual([0, ""]);
    expect(second.stdout).toBe(first.stdout);
    expect(built()).toBe(firstBuild);

    const later = new Date(Date.now() + 5_000);
    utimesSync(join(copy, "server", "cli", "run.ts"), later, later);
    const third = await manage();
    expect([third.code, third.stderr.trim()]).toEqual([0, BUILDING]);
    expect(built()).toBeGreaterThan(firstBuild);
    const fourth = await manage();
    expect([fourth.code, fourth.stderr]).toEqual([0, ""]);
  }, 120_000);
});
