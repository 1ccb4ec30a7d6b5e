import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";

describe("package-lock.json", () => {
  it("is what `npm install` writes, so that installing a fresh clone leaves it unchanged", () => {
    // A scratch copy, resolved from the lockfile alone (offline): only npm's own bookkeeping can differ.
    const scratch = mkdtempSync(join(tmpdir(), "lockfile-"));
    // The workspace's manifest too (client-sdk): the lockfile records it.
    mkdirSync(join(scratch, "client-sdk"));
    for (const file of ["package.json", "package-lock.json", "client-sdk/package.json"])
      copyFileSync(join(projectRoot, file), join(scratch, file));
    execFileSync(
      "npm",
      [
        "install",
        "--package-lock-only",
        "--ignore-scripts",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--cache",
        join(scratch, "cache"),
      ],
      { cwd: scratch, stdio: "pipe" },
    );
    const rewritten = readFileSync(join(scratch, "package-lock.json"), "utf8");
    expect(rewritten).toBe(readFileSync(join(projectRoot, "package-lock.json"), "utf8"));
  });
});
