import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { withTotp } from "../helpers/mfa.js";
import { baseEnv, entry, runToExit } from "../helpers/process.js";
import { STRONG_PASSWORD } from "../helpers/users.js";

// `manage user mfa-reset NAME` through the real command-line process, against
// the database the test's server uses.

const app = useTestApp();

describe("manage user mfa-reset", () => {
  it("removes every second factor of the account, audited, so the password alone logs in again", async () => {
    const { account, user } = await withTotp(app());
    const login = () => app().caller().auth.obtainToken({ username: account.username, password: STRONG_PASSWORD });
    await expect(login()).rejects.toMatchObject({ cause: { code: "mfa_required" } });

    const url = app().db.url;
    expect(url, "this test runs against PostgreSQL (DATABASE_URL)").toBeDefined();
    const env = baseEnv({ DATABASE_URL: url as string });
    const reset = await runToExit(entry("cli"), ["user", "mfa-reset", account.username], env);
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

    const missing = await runToExit(entry("cli"), ["user", "mfa-reset", "ghost"], env);
    expect([missing.code, missing.stderr.trim()]).toEqual([1, "user 'ghost' does not exist"]);
    const usage = await runToExit(entry("cli"), ["user", "mfa-reset"], env);
    expect(usage.code).toBe(2);
  }, 120_000);
});
