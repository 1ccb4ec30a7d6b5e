import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OWNER_FILE } from "../../server/db/pglite/owner-file.js";
import { projectRoot } from "../../server/paths.js";
import { http } from "../helpers/http.js";
import { baseEnv, entry, type RunningServer, runToExit, startServer } from "../helpers/process.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// One PGlite folder, a server and `manage` commands in separate processes, as
// a developer runs them: whatever DATABASE_URL the suite runs with.

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function pgliteEnv() {
  const dirs = [mkdtempSync(join(tmpdir(), "owner-pglite-")), mkdtempSync(join(tmpdir(), "owner-outbox-"))];
  scratch.push(...dirs);
  return baseEnv({ PGLITE_DIR: dirs[0] ?? "", MAIL_OUTBOX_DIR: dirs[1] ?? "" });
}

const manage = (env: Record<string, string>, args: string[], stdin?: string) =>
  runToExit(entry("cli"), args, env, stdin);

const owner = (env: Record<string, string>) =>
  JSON.parse(readFileSync(join(env.PGLITE_DIR ?? "", OWNER_FILE), "utf8")) as { pid: number; socket?: string };

async function signedUp(server: RunningServer) {
  const account = newAccount();
  expect((await http(server.url, "POST", "/api/users/register/", { body: account })).status).toBe(201);
  const pair = await http(server.url, "POST", "/api/token/", {
    body: { username: account.username, password: STRONG_PASSWORD },
  });
  expect(pair.status).toBe(200);
  return { username: account.username, access: pair.body.access as string, refresh: pair.body.refresh as string };
}

describe("a PGlite folder has one owner", () => {
  it("a manage command runs through the running server, and its change holds at once and after a restart", async () => {
    const env = pgliteEnv();
    let server = await startServer(env);
    try {
      const bob = await signedUp(server);
      expect((await http(server.url, "GET", "/api/users/profile/", { token: bob.access })).status).toBe(200);

      const result = await manage(env, ["user", "deactivate", bob.username]);
      expect([result.code, result.stdout.trim()]).toEqual([0, `deactivate ${bob.username}: ok`]);

      const profile = await http(server.url, "GET", "/api/users/profile/", { token: bob.access });
      expect([profile.status, profile.body]).toEqual([401, { detail: "User is inactive", code: "user_inactive" }]);
      const refresh = await http(server.url, "POST", "/api/token/refresh/", { body: { refresh: bob.refresh } });
      expect(refresh.status).toBe(401);
      const login = await http(server.url, "POST", "/api/token/", {
        body: { username: bob.username, password: STRONG_PASSWORD },
      });
      expect(login.status).toBe(401);

      const trail = await manage(env, ["audit", "--event", "user_deactivated"]);
      expect(trail.code).toBe(0);
      expect(trail.stdout).toMatch(new RegExp(` user_deactivated user=${bob.username} .*"by":"cli"`));

      expect(await server.stop()).toBe(0);
      server = await startServer(env);
      const again = await http(server.url, "POST", "/api/token/", {
        body: { username: bob.username, password: STRONG_PASSWORD },
      });
      expect(again.status).toBe(401);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it("commands and requests in parallel all land: every change is there, none is lost", async () => {
    const env = pgliteEnv();
    const server = await startServer(env);
    try {
      const users = await Promise.all(Array.from({ length: 6 }, () => signedUp(server)));
      const requests = Array.from({ length: 40 }, (_, i) =>
        http(server.url, "POST", "/api/tasks/", {
          token: users[i % users.length]?.access,
          body: { title: `task ${i}` },
        }),
      );
      const commands = users
        .slice(0, 3)
        .map((user) => manage(env, ["user", "deactivate", user.username]))
        .concat(
          manage(
            env,
            ["createsuperuser", "--username", "chief", "--email", "chief@example.com", "--noinput", "--password-stdin"],
            "Sup3r!Secret#99\n",
          ),
        );
      const [answers, exits] = await Promise.all([Promise.all(requests), Promise.all(commands)]);
      expect(exits.map((exit) => [exit.code, exit.stderr])).toEqual(exits.map(() => [0, ""]));
      // A task request of a user deactivated meanwhile is refused, never half-done.
      expect(answers.every((answer) => answer.status === 201 || answer.status === 401)).toBe(true);

      for (const [i, user] of users.entries()) {
        const profile = await http(server.url, "GET", "/api/users/profile/", { token: user.access });
        expect(profile.status).toBe(i < 3 ? 401 : 200);
      }
      const chief = await http(server.url, "POST", "/api/token/", {
        body: { username: "chief", password: "Sup3r!Secret#99" },
      });
      expect(chief.status).toBe(200);
      const created = answers.filter((answer) => answer.status === 201).length;
      const tasks = await Promise.all(
        users.slice(3).map((user) => http(server.url, "GET", "/api/tasks/", { token: user.access })),
      );
      const listed = tasks.reduce((sum, list) => sum + (list.body as unknown[]).length, 0);
      const ofDeactivated = answers.filter((answer, i) => answer.status === 201 && i % users.length < 3).length;
      expect(listed).toBe(created - ofDeactivated);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it("a second server on the folder refuses with one line and exit 1; the first serves on", async () => {
    const env = pgliteEnv();
    const server = await startServer(env);
    try {
      const second = await runToExit(entry("server"), [], env);
      expect(second.code).toBe(1);
      expect(second.stderr.trim().split("\n")).toEqual([
        `cannot start: the PGlite database in ${env.PGLITE_DIR} is in use by npm start (pid ${server.child.pid})`,
      ]);
      expect((await signedUp(server)).access).toBeTruthy();
    } finally {
      await server.stop();
    }
  }, 120_000);

  it("without a server, a command owns the folder itself; a server started meanwhile refuses, then starts", async () => {
    const env = pgliteEnv();
    const created = await manage(
      env,
      ["createsuperuser", "--username", "boss", "--email", "boss@example.com", "--noinput", "--password-stdin"],
      "Sup3r!Secret#99\n",
    );
    expect([created.code, created.stdout.trim()]).toEqual([0, "Superuser created successfully."]);

    // changepassword waits for its password on stdin, holding the folder meanwhile.
    const holder = spawn(process.execPath, [entry("cli"), "changepassword", "boss", "--password-stdin"], {
      env,
      cwd: projectRoot,
    });
    const exited = new Promise<number | null>((resolve) => holder.on("exit", resolve));
    let output = "";
    holder.stdout.on("data", (chunk) => (output += chunk));
    await expect.poll(() => output, { timeout: 30_000 }).toContain("Changing password for user 'boss'");
    expect(owner(env).pid).toBe(holder.pid);

    const refused = await runToExit(entry("server"), [], env);
    expect([refused.code, refused.stderr.trim()]).toEqual([
      1,
      `cannot start: the PGlite database in ${env.PGLITE_DIR} is in use by manage changepassword (pid ${holder.pid})`,
    ]);
    const busy = await manage(env, ["user", "list"]);
    expect([busy.code, busy.stderr.trim()]).toEqual([
      1,
      `the PGlite database in ${env.PGLITE_DIR} is in use by manage changepassword (pid ${holder.pid})`,
    ]);

    holder.stdin.end("Fresh!Secret#2026\n");
    expect(await exited).toBe(0);
    expect(existsSync(join(env.PGLITE_DIR ?? "", OWNER_FILE))).toBe(false);
    const server = await startServer(env);
    try {
      const login = await http(server.url, "POST", "/api/token/", {
        body: { username: "boss", password: "Fresh!Secret#2026" },
      });
      expect(login.status).toBe(200);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it("kill -9 leaves a stale record and socket; the next start takes over and serves commands again", async () => {
    const env = pgliteEnv();
    const first = await startServer(env);
    const bob = await signedUp(first);
    const killed = owner(env);
    expect(killed.pid).toBe(first.child.pid);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    expect(existsSync(killed.socket ?? "")).toBe(true);

    const server = await startServer(env);
    try {
      expect(owner(env).pid).toBe(server.child.pid);
      const profile = await http(server.url, "GET", "/api/users/profile/", { token: bob.access });
      expect(profile.status).toBe(200);
      expect((await manage(env, ["user", "deactivate", bob.username])).code).toBe(0);
      const refused = await http(server.url, "GET", "/api/users/profile/", { token: bob.access });
      expect(refused.status).toBe(401);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
