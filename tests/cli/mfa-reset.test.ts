import { describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { fastHasher, testConfig, useTestApp } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { withTotp } from "../helpers/mfa.js";
import { STRONG_PASSWORD } from "../helpers/users.js";

// `manage user mfa-reset NAME` through the command line's entry point, over the
// database the test's server uses (PostgreSQL or PGlite alike; the launcher's
// own tests cover the real process).

const app = useTestApp();

async function manage(argv: string[]) {
  const terminal = scriptedIO();
  const code = await runCli(argv, {
    io: terminal.io,
    loadConfig: () => testConfig(),
    database: app().db,
    hasher: fastHasher,
  });
  return { code, stdout: terminal.out.join("\n"), stderr: terminal.err.join("\n") };
}

describe("manage user mfa-reset", () => {
  it("removes every second factor of the account, audited, so the password alone logs in again", async () => {
    const { account, user } = await withTotp(app());
    const login = () => app().caller().auth.obtainToken({ username: account.username, password: STRONG_PASSWORD });
    await expect(login()).rejects.toMatchObject({ cause: { code: "mfa_required" } });

    const reset = await manage(["user", "mfa-reset", account.username]);
    expect([reset.code, reset.stderr, reset.stdout.trim()]).toEqual([
      0,
      "",
      `mfa-reset ${account.username}: removed TOTP and its recovery codes, 0 passkey(s); the password alone logs in now`,
    ]);
    const left = await Promise.all(
      (["totp_credentials", "recovery_codes", "passkeys"] as const).map((table) =>
        app().db.db.selectFrom(table).select("user_id").where("user_id", "=", user.id).execute(),
      ),
    );
    expect(left).toEqual([[], [], []]);
    const audit = await app()
      .db.db.selectFrom("auth_events")
      .select(["event", "detail"])
      .where("user_id", "=", user.id)
      .where("event", "=", "mfa_reset")
      .execute();
    expect(audit).toEqual([{ event: "mfa_reset", detail: { by: "cli", totp: true, passkeys: 0 } }]);
    expect(Object.keys(await login())).toEqual(["refresh", "access"]);

    const missing = await manage(["user", "mfa-reset", "ghost"]);
    expect([missing.code, missing.stderr.trim()]).toEqual([1, "user 'ghost' does not exist"]);
    const usage = await manage(["user", "mfa-reset"]);
    expect(usage.code).toBe(2);
  });
});
