import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { useTestApp } from "../helpers/app.js";

const app = useTestApp();
const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");
const execFileAsync = promisify(execFile);
// Asynchronous: the server under test runs in this process and must keep answering.
const run = async (file: string, args: string[], cwd: string) =>
  (await execFileAsync(file, args, { cwd, encoding: "utf8" })).stdout;

const PROGRAM = `
import { type ClientError, createClient, isApiError, type Procedures } from "@jwt-auth/client";

declare const process: { argv: string[] };

const client = createClient({ url: process.argv[2] ?? "" });
const username = "packed_" + Date.now();
const password = "Correct-Horse-9-Battery";
await client.auth.register({ username, email: username + "@example.com", password, password2: password, first_name: "P", last_name: "Q" });
await client.session.login({ username, password });
const me: Procedures["user.me"]["output"] = await client.user.me();
const task = await client.task.create({ title: "shipped" });
const tasks = await client.task.list({ ordering: "-created_at" });

// The types are the server's: wrong inputs do not compile.
// @ts-expect-error title is required
void (() => client.task.create({}));
// @ts-expect-error no such procedure
void (() => client.task.explode());

let code: string | undefined;
try {
  await client.auth.register({ username, email: "x@example.com", password, password2: password, first_name: "", last_name: "" });
} catch (error) {
  const failure = error as ClientError;
  if (isApiError(failure, "validation_failed")) code = failure.code + ":" + Object.keys(failure.fieldErrors).join(",");
}
await client.session.logout();
console.log(JSON.stringify({ me: me.username === username, task: task.title, tasks: tasks.length, code }));
`;

describe("the SDK as a consumer gets it", () => {
  it("packs, installs alone, typechecks strictly and runs against a live server", async () => {
    await run(process.execPath, [join(projectRoot, "client-sdk", "build.mjs")], projectRoot);
    await run(process.execPath, [tsc, "-p", join(projectRoot, "client-sdk", "tsconfig.json")], projectRoot);
    const out = mkdtempSync(join(tmpdir(), "sdk-pack-"));
    const [packed] = JSON.parse(
      await run("npm", ["pack", "./client-sdk", "--pack-destination", out, "--json"], projectRoot),
    ) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    expect(packed?.files.map((file) => file.path).sort()).toEqual(
      expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "openapi.json", "package.json"]),
    );
    expect(packed?.files.some((file) => file.path.startsWith("src/"))).toBe(false);

    const scratch = mkdtempSync(join(tmpdir(), "sdk-consumer-"));
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    await run("npm", ["install", join(out, packed?.filename ?? ""), "--offline", "--no-audit", "--no-fund"], scratch);
    // Nothing but the SDK: it needs neither the server's source nor its dependencies.
    expect(readdirSync(join(scratch, "node_modules")).filter((name) => !name.startsWith("."))).toEqual(["@jwt-auth"]);

    writeFileSync(join(scratch, "program.ts"), PROGRAM);
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2022", "DOM"],
          types: [],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: false,
          outDir: "out",
        },
        files: ["program.ts"],
      }),
    );
    await run(process.execPath, [tsc, "-p", "tsconfig.json"], scratch);
    const output = await run(process.execPath, [join(scratch, "out", "program.js"), app().url], scratch);
    expect(JSON.parse(output.trim())).toEqual({
      me: true,
      task: "shipped",
      tasks: 1,
      code: "validation_failed:username",
    });
    expect(
      readFileSync(join(scratch, "node_modules", "@jwt-auth", "client", "dist", "index.d.ts"), "utf8"),
    ).not.toContain("@trpc");
  });
});
