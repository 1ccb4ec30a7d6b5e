// Staff's answer to "I lost my phone and my recovery codes": every second
// factor of one account goes (TOTP, its recovery codes, passkeys), in one
// transaction, audited with who did it. The same function serves the command
// line (`manage user mfa-reset`) and the admin console.
import type { Client } from "../../client-info.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { deleteAllPasskeys } from "../../db/repositories/passkeys.js";
import { deleteRecoveryCodes } from "../../db/repositories/recovery-codes.js";
import { deleteTotp } from "../../db/repositories/totp.js";
import type { Deps } from "../../deps.js";

export interface SecondFactorsReset {
  totp: boolean;
  passkeys: number;
}

export async function resetSecondFactors(
  deps: Pick<Deps, "db">,
  userId: number,
  by: string,
  client?: Partial<Client>,
): Promise<SecondFactorsReset> {
  return deps.db.transaction().execute(async (trx) => {
    const totp = await deleteTotp(trx, userId);
    await deleteRecoveryCodes(trx, userId);
    const passkeys = await deleteAllPasskeys(trx, userId);
    await recordEvent(trx, {
      event: "mfa_reset",
      userId,
      ip: client?.ip,
      userAgent: client?.userAgent,
      detail: { by, totp, passkeys },
    });
    return { totp, passkeys };
  });
}
