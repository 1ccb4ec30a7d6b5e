import { durationWords, escapeHtml, html, type MailContent } from "./templates.js";

export interface VerificationMailInput {
  product: string;
  to: string;
  username: string;
  token: string;
  ttlSeconds: number;
  /** EMAIL_VERIFICATION_URL: the link comes from configuration only, never from a request. */
  verifyUrl: string | undefined;
  /** A new address for an existing account, rather than a new account's. */
  change: boolean;
}

export function verificationLink(verifyUrl: string, token: string): string {
  const url = new URL(verifyUrl);
  url.searchParams.set("token", token);
  return url.toString();
}

export function emailVerificationMail(input: VerificationMailInput): MailContent {
  const validity = durationWords(input.ttlSeconds);
  const link = input.verifyUrl ? verificationLink(input.verifyUrl, input.token) : undefined;
  const why = input.change
    ? `This address was given as the new email address of the ${input.product} account ${input.username}. It takes effect once verified.`
    : `Welcome to ${input.product}. Please verify the email address of your account ${input.username}.`;
  const text = [
    why,
    "",
    ...(link ? [`Verify it here: ${link}`, ""] : []),
    `token: ${input.token}`,
    "",
    `Or POST the token to /api/users/verify-email/. It is valid for ${validity} and can be used once.`,
    "If you did not ask for this, ignore this email.",
    "",
    `— ${input.product}`,
    "",
  ].join("\n");
  return {
    kind: "email_verification",
    to: input.to,
    subject: "Verify your email address",
    text,
    html: html(input.product, [
      escapeHtml(why),
      ...(link ? [`<a href="${escapeHtml(link)}">Verify this address</a>`] : []),
      `token: <code>${escapeHtml(input.token)}</code>`,
      `The link is valid for ${validity} and can be used once. If you did not ask for this, ignore this email.`,
    ]),
  };
}

/** a•••@example.com: enough for the owner to recognise, not a full address for whoever reads the old mailbox. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  return at <= 0 ? "•••" : `${email.slice(0, 1)}•••${email.slice(at)}`;
}

export function emailChangedMail(product: string, to: string, username: string, newEmail: string): MailContent {
  const masked = maskEmail(newEmail);
  const text = `The email address of your ${product} account ${username} was changed to ${masked}. Mail for the account now goes there.\n\nIf this was not you, reset your password now and tell us.\n\n— ${product}\n`;
  return {
    kind: "email_changed",
    to,
    subject: "Your email address was changed",
    text,
    html: html(product, [
      `The email address of your ${escapeHtml(product)} account <strong>${escapeHtml(username)}</strong> was changed to ${escapeHtml(masked)}. Mail for the account now goes there.`,
      "If this was not you, reset your password now and tell us.",
    ]),
  };
}
