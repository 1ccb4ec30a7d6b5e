import { sql } from "kysely";
import type { Executor } from "../connect.js";

// What second factors a user has, read in one statement: every password login
// asks, so it costs one round trip, not one per table.

export interface SecondFactors {
  /** A confirmed TOTP credential (an enrolment waiting for its first code is not one). */
  totp: boolean;
  unusedRecoveryCodes: number;
  passkeys: number;
}

export async function findSecondFactors(db: Executor, userId: number): Promise<SecondFactors> {
  const { rows } = await sql<{ totp: boolean; recovery: number; passkeys: number }>`
    select exists (select 1 from totp_credentials where user_id = ${userId} and confirmed_at is not null) as totp,
           (select count(*) from recovery_codes where user_id = ${userId} and used_at is null)::int as recovery,
           (select count(*) from passkeys where user_id = ${userId})::int as passkeys`.execute(db);
  const row = rows[0];
  return { totp: row?.totp ?? false, unusedRecoveryCodes: row?.recovery ?? 0, passkeys: row?.passkeys ?? 0 };
}
