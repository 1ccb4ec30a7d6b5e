import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv as parseEnvText } from "node:util";
import { describe, expect, it } from "vitest";
import { envSchema, parseEnv } from "../../server/config/env.js";
import { projectRoot } from "../../server/paths.js";

const read = (file: string) => readFileSync(join(projectRoot, file), "utf8");

/** The variables named in the first column of the README's configuration table. */
function readmeVariables(): string[] {
  const readme = read("README.md");
  const section = readme.slice(
    readme.indexOf("\n## Configuration"),
    readme.indexOf("\n## ", readme.indexOf("\n## Configuration") + 1),
  );
  return section
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .flatMap((line) =>
      [...(line.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1] as string),
    );
}

/** `# NAME=value` lines: every setting, commented out at its default or an example. */
const exampleLines = () =>
  read(".env.example")
    .split("\n")
    .filter((line) => /^# [A-Z][A-Z0-9_]*=/.test(line));

describe("the configuration's documentation", () => {
  const schema = Object.keys(envSchema.shape).sort();

  it("lists in the README table every variable the server reads, and no other", () => {
    expect([...new Set(readmeVariables())].sort()).toEqual(schema);
  });

  it("has every variable in .env.example, once", () => {
    const names = exampleLines().map((line) => line.slice(2, line.indexOf("=")));
    expect(names.length).toBe(new Set(names).size);
    expect([...names].sort()).toEqual(schema);
  });

  it("gives values in .env.example that the server accepts", () => {
    const uncommented = exampleLines()
      .map((line) => line.slice(2))
      .join("\n");
    expect(() => parseEnv(parseEnvText(uncommented))).not.toThrow();
  });
});
