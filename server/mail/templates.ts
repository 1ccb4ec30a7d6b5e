// The mails, short and plain, each with a text and an HTML part, the product
// name and the expiry. The OTP mail keeps the seed service's subject and
// sentence; its code is the only six-digit number in it.

export interface MailContent {
  kind: "otp" | "password_reset" | "password_changed" | "email_verification" | "email_changed";
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Django's wording: "5 minutes", "1 minute", "90 seconds". */
export function durationWords(seconds: number): string {
  if (seconds % 60 === 0) {
    const minutes = seconds / 60;
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function html(product: string, paragraphs: string[]): string {
  const body = paragraphs.map((paragraph) => `<p>${paragraph}</p>`).join("\n");
  return `<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
${body}
<p style="color: #666">— ${escapeHtml(product)}</p>
</body></html>
`;
}

export function otpMail(product: string, to: string, code: string, ttlSeconds: number): MailContent {
  const validity = durationWords(ttlSeconds);
  return {
    kind: "otp",
    to,
    subject: "Your OTP for Login",
    text: `Your OTP is ${code}. It is valid for ${validity}.\n\nIf you did not try to log in to ${product}, ignore this email and consider changing your password.\n\n— ${product}\n`,
    html: html(product, [
      `Your OTP is <strong style="font-size: 1.3em; letter-spacing: 0.1em">${code}</strong>. It is valid for ${validity}.`,
      `If you did not try to log in to ${escapeHtml(product)}, ignore this email and consider changing your password.`,
    ]),
  };
}

export interface ResetMailInput {
  product: string;
  to: string;
  username: string;
  uid: string;
  token: string;
  ttlSeconds: number;
  /** PASSWORD_RESET_URL: the link is built from configuration only, never from a request. */
  resetUrl: string | undefined;
}

export function resetLink(resetUrl: string, uid: string, token: string): string {
  const url = new URL(resetUrl);
  url.searchParams.set("uid", uid);
  url.searchParams.set("token", token);
  return url.toString();
}

export function passwordResetMail(input: ResetMailInput): MailContent {
  const validity = durationWords(input.ttlSeconds);
  const link = input.resetUrl ? resetLink(input.resetUrl, input.uid, input.token) : undefined;
  const text = [
    `A password reset was requested for the account ${input.username}.`,
    "",
    ...(link ? [`Choose a new password here: ${link}`, ""] : []),
    `uid: ${input.uid}`,
    `token: ${input.token}`,
    "",
    `POST both with your new password (password, password2) to /api/users/password-reset/confirm/. The token is valid for ${validity} and can be used once.`,
    "If you did not ask for this, ignore this email.",
    "",
    `— ${input.product}`,
    "",
  ].join("\n");
  return {
    kind: "password_reset",
    to: input.to,
    subject: "Password reset",
    text,
    html: html(input.product, [
      `A password reset was requested for the account <strong>${escapeHtml(input.username)}</strong>.`,
      ...(link ? [`<a href="${escapeHtml(link)}">Choose a new password</a>`] : []),
      `uid: <code>${escapeHtml(input.uid)}</code><br>token: <code>${escapeHtml(input.token)}</code>`,
      `The token is valid for ${validity} and can be used once. If you did not ask for this, ignore this email.`,
    ]),
  };
}

export function passwordChangedMail(product: string, to: string, username: string, when: Date): MailContent {
  const at = when
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
  return {
    kind: "password_changed",
    to,
    subject: "Your password was changed",
    text: `The password of your ${product} account ${username} was changed on ${at}, and every session was signed out.\n\nIf this was not you, reset your password now and tell us.\n\n— ${product}\n`,
    html: html(product, [
      `The password of your ${escapeHtml(product)} account <strong>${escapeHtml(username)}</strong> was changed on ${at}, and every session was signed out.`,
      "If this was not you, reset your password now and tell us.",
    ]),
  };
}
