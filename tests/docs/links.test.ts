import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";

const markdown = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"], {
  cwd: projectRoot,
  encoding: "utf8",
})
  .split("\n")
  .filter(Boolean);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

const anchorsOf = (file: string) =>
  new Set(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => anchor(line.replace(/^#+ /, ""))),
  );

describe("the documentation's links", () => {
  it("covers the README and every document", () => {
    expect(markdown).toEqual(expect.arrayContaining(["README.md", "docs/rest-contract.md", "docs/deployment.md"]));
  });

  it("point at files inside the repository that exist, and at headings that exist", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(join(projectRoot, file), "utf8");
      for (const [, target = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [path = "", hash] = target.split("#");
        const absolute = path === "" ? join(projectRoot, file) : resolve(dirname(join(projectRoot, file)), path);
        const inside = !relative(projectRoot, absolute).startsWith("..");
        if (!inside || !existsSync(absolute)) broken.push(`${file}: ${target}`);
        else if (hash !== undefined && absolute.endsWith(".md") && !anchorsOf(absolute).has(hash))
          broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
