import type { ExpressionBuilder } from "kysely";
import { compiledStatement } from "../compiled.js";
import type { Executor } from "../connect.js";
import type { Database } from "../schema.js";

// What second factors a user has, read in one statement: every password login
// asks, so it costs no round trip of its own there (the login reads them with
// the user, users.ts) and one elsewhere, not one per table.

export interface SecondFactors {
  /** A confirmed TOTP credential (an enrolment waiting for its first code is not one). */
  totp: boolean;
  unusedRecoveryCodes: number;
  passkeys: number;
}

/** The columns, on a query of `users`, that `toSecondFactors` reads. */
export const secondFactorColumns = (eb: ExpressionBuilder<Database, "users">) => [
  eb
    .exists(
      eb
        .selectFrom("totp_credentials")
        .select("totp_credentials.user_id")
        .whereRef("totp_credentials.user_id", "=", "users.id")
        .where("totp_credentials.confirmed_at", "is not", null),
    )
    .as("totp"),
  eb
    .selectFrom("recovery_codes")
    .select((count) => count.fn.countAll<number>().as("count"))
    .whereRef("recovery_codes.user_id", "=", "users.id")
    .where("recovery_codes.used_at", "is", null)
    .as("recovery_codes"),
  eb
    .selectFrom("passkeys")
    .select((count) => count.fn.countAll<number>().as("count"))
    .whereRef("passkeys.user_id", "=", "users.id")
    .as("passkeys"),
];

export interface SecondFactorRow {
  totp: boolean;
  recovery_codes: number | null;
  passkeys: number | null;
}

export const toSecondFactors = (row: SecondFactorRow | undefined): SecondFactors => ({
  totp: row?.totp ?? false,
  unusedRecoveryCodes: Number(row?.recovery_codes ?? 0),
  passkeys: Number(row?.passkeys ?? 0),
});

const byUser = compiledStatement((db, v: { userId: number }) =>
  db.selectFrom("users").select(secondFactorColumns).where("users.id", "=", v.userId),
);

export async function findSecondFactors(db: Executor, userId: number): Promise<SecondFactors> {
  const [row] = await byUser(db, { userId });
  return toSecondFactors(row as SecondFactorRow | undefined);
}
