import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
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
import {
  type ClientError,
  createClient,
  isApiError,
  isSessionEnded,
  type ProcedureErrorCode,
  type Procedures,
} from "@jwt-auth/client";
import { getSession } from "@jwt-auth/client/server";

declare const process: { argv: string[] };

const url = process.argv[2] ?? "";
const client = createClient({ url });
const events: string[] = [];
client.session.onChange((event) => events.push(event));
const username = "packed_" + Date.now();
const password = "Correct-Horse-9-Battery";
await client.auth.register({ username, email: username + "@example.com", password, password2: password, first_name: "P", last_name: "Q" });
await client.session.login({ username, password });
const user = client.session.user;
const me: Procedures["user.me"]["output"] = await client.user.me();
const task = await client.task.create({ title: "shipped" });
const tasks = await client.task.list({ ordering: "-created_at" });

// The types are the server's: wrong inputs do not compile.
// @ts-expect-error title is required
void (() => client.task.create({}));
// @ts-expect-error no such procedure
void (() => client.task.explode());
// @ts-expect-error the session's tokens are rotated by client.session only
void (() => client.auth.refresh({ refresh: "" }));
// @ts-expect-error nor logged in behind its back
void (() => client.auth.obtainToken({ username, password }));
const notFound: ProcedureErrorCode<"task.byId"> = "not_found";
// @ts-expect-error task.byId never answers otp_invalid
const never: ProcedureErrorCode<"task.byId"> = "otp_invalid";

let code: string | undefined;
try {
  await client.auth.register({ username, email: "x@example.com", password, password2: password, first_name: "", last_name: "" });
} catch (error) {
  const failure = error as ClientError;
  if (isApiError(failure, "validation_failed")) code = failure.code + ":" + Object.keys(failure.fieldErrors).join(",");
}
await client.session.logout();
const ended = await client.user.me().catch((error: unknown) => error);
const ssr = await getSession("theme=dark", { url });
console.log(JSON.stringify({
  me: me.username === username,
  user,
  task: task.title,
  tasks: tasks.length,
  code,
  events,
  anonymous: isApiError(ended, "not_authenticated") && !isSessionEnded(ended),
  ssr: ssr.status,
  notFound,
  never,
}));
`;

describe("the SDK as a consumer gets it", () => {
  // Four processes (a build with tsc, npm pack, npm install, tsc): minutes on a busy machine, not seconds.
  it("packs from a fresh checkout (building first), installs alone, typechecks strictly and runs against a live server", {
    timeout: 180_000,
  }, async () => {
    // A fresh clone has no dist/ (it is not committed): packing must build it.
    const checkout = mkdtempSync(join(tmpdir(), "sdk-checkout-"));
    cpSync(join(projectRoot, "client-sdk"), checkout, {
      recursive: true,
      filter: (path) => !/[/\\](dist|node_modules)$/.test(path),
    });
    expect(existsSync(join(checkout, "dist"))).toBe(false);
    // The build tools the workspace root installs (npm ci at the root of the clone).
    symlinkSync(join(projectRoot, "node_modules"), join(checkout, "node_modules"));
    const out = mkdtempSync(join(tmpdir(), "sdk-pack-"));
    const [packed] = JSON.parse(await run("npm", ["pack", "--pack-destination", out, "--json"], checkout)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = packed?.files.map((file) => file.path) ?? [];
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/index.js",
        "dist/index.d.ts",
        "dist/react.js",
        "dist/react.d.ts",
        "dist/server.js",
        "dist/server.d.ts",
        "openapi.json",
        "ERRORS.md",
        "README.md",
        "package.json",
      ]),
    );
    expect(files.some((file) => file.startsWith("src/"))).toBe(false);

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
    const result = JSON.parse(output.trim());
    expect(result).toEqual({
      me: true,
      user: expect.objectContaining({ username: expect.stringMatching(/^packed_/), first_name: "P" }),
      task: "shipped",
      tasks: 1,
      code: "validation_failed:username",
      events: ["INITIAL_SESSION", "SIGNED_IN", "SIGNED_OUT"],
      anonymous: true,
      ssr: "signed-out",
      notFound: "not_found",
      never: "otp_invalid",
    });
    expect(
      readFileSync(join(scratch, "node_modules", "@jwt-auth", "client", "dist", "index.d.ts"), "utf8"),
    ).not.toContain("@trpc");
  });
});
