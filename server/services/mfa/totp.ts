import { randomBytes } from "node:crypto";
import { encodeBase32NoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI } from "@oslojs/otp";
import { encodeQR } from "qr";
import type { Client } from "../../client-info.js";
import type { MfaStatus, RecoveryCodesOutput, TotpSetup } from "../../contracts/mfa.js";
import type { Executor } from "../../db/connect.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { deleteRecoveryCodes, replaceRecoveryCodes } from "../../db/repositories/recovery-codes.js";
import { findSecondFactors } from "../../db/repositories/second-factors.js";
import { claimTotpStep, deleteTotp, findTotp, upsertPendingTotp } from "../../db/repositories/totp.js";
import type { User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { newRecoveryCodes } from "./recovery-codes.js";
import {
  countCodeAttempt,
  invalidCode,
  TOTP_ENROLMENT_SECONDS,
  totpNotEnabled,
  verifySecondFactor,
} from "./second-factor.js";
import { matchingStep, TOTP_DIGITS, TOTP_PERIOD_SECONDS, totpCodeOf } from "./totp-codes.js";

type TotpDeps = Pick<Deps, "db" | "secrets" | "config">;

/** RFC 4226 asks for at least 128 bits and recommends 160. */
const SECRET_BYTES = 20;

const alreadyEnabled = () =>
  new AppError("totp_already_enabled", "Two-factor authentication is already enabled; disable it first.");

/**
 * Step one of enrolment: a new secret in a pending credential (replacing an
 * older pending one), shown as base32, an otpauth:// URI and its QR code.
 */
export async function beginTotp(deps: TotpDeps, user: User, client: Client): Promise<TotpSetup> {
  const secret = new Uint8Array(randomBytes(SECRET_BYTES));
  if (!(await upsertPendingTotp(deps.db, user.id, deps.secrets.sealTotpSecret(user.id, secret)))) {
    throw alreadyEnabled();
  }
  await recordEvent(deps.db, { event: "totp_enrolment_started", userId: user.id, ...client });
  const uri = createTOTPKeyURI(deps.config.mail.productName, user.username, secret, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
  return {
    secret: encodeBase32NoPadding(secret),
    otpauth_uri: uri,
    qr_svg: encodeQR(uri, "svg", { ecc: "medium", border: 4, optimize: true }),
  };
}

async function issueRecoveryCodes(deps: TotpDeps, trx: Executor, user: User, client: Client) {
  const codes = newRecoveryCodes();
  await replaceRecoveryCodes(
    trx,
    user.id,
    codes.map((code) => deps.secrets.recoveryCodeDigest(user.id, code)),
  );
  await recordEvent(trx, { event: "recovery_codes_generated", userId: user.id, ...client });
  return codes;
}

/**
 * Step two: the first valid code confirms the credential (once: of parallel
 * confirmations one wins), and ten recovery codes are made with it.
 */
export async function confirmTotp(
  deps: TotpDeps,
  user: User,
  input: string,
  client: Client,
  nowMs = Date.now(),
): Promise<RecoveryCodesOutput> {
  await countCodeAttempt(deps, user);
  const credential = await findTotp(deps.db, user.id, TOTP_ENROLMENT_SECONDS);
  if (credential?.confirmed) throw alreadyEnabled();
  if (!credential || credential.expired) {
    throw new AppError("totp_not_enabled", "No two-factor enrolment is waiting, or it expired: start again.");
  }
  const secret = deps.secrets.openTotpSecret(user.id, credential.sealedSecret);
  const code = totpCodeOf(input);
  const step = secret && code !== undefined ? matchingStep(secret, code, nowMs) : undefined;
  const codes =
    step === undefined
      ? undefined
      : await deps.db.transaction().execute(async (trx) => {
          const claimed = await claimTotpStep(trx, user.id, step, {
            confirm: true,
            pendingWindowSeconds: TOTP_ENROLMENT_SECONDS,
          });
          if (!claimed) return undefined;
          await recordEvent(trx, { event: "totp_enabled", userId: user.id, ...client });
          return issueRecoveryCodes(deps, trx, user, client);
        });
  if (!codes) {
    await recordEvent(deps.db, { event: "totp_failed", userId: user.id, ...client, detail: { during: "enrolment" } });
    throw invalidCode();
  }
  return { recovery_codes: codes };
}

/** New recovery codes for a code (TOTP or an unused recovery code); the old ones die. */
export async function regenerateRecoveryCodes(
  deps: TotpDeps,
  user: User,
  code: string,
  client: Client,
): Promise<RecoveryCodesOutput> {
  await verifySecondFactor(deps, user, code, client);
  const codes = await deps.db.transaction().execute((trx) => issueRecoveryCodes(deps, trx, user, client));
  return { recovery_codes: codes };
}

/** Turns TOTP off for a code (TOTP or recovery); the recovery codes go with it. */
export async function disableTotp(
  deps: TotpDeps,
  user: User,
  code: string,
  client: Client,
): Promise<Record<string, never>> {
  const used = await verifySecondFactor(deps, user, code, client);
  const removed = await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteTotp(trx, user.id))) return false;
    await deleteRecoveryCodes(trx, user.id);
    await recordEvent(trx, { event: "totp_disabled", userId: user.id, ...client, detail: { with: used } });
    return true;
  });
  if (!removed) throw totpNotEnabled();
  return {};
}

export async function mfaStatus(deps: Pick<Deps, "db">, user: User): Promise<MfaStatus> {
  const factors = await findSecondFactors(deps.db, user.id);
  return { totp: factors.totp, recovery_codes_remaining: factors.unusedRecoveryCodes, passkeys: factors.passkeys };
}
