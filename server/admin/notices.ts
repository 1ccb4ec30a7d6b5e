// What a redirect after a form may announce: fixed texts, named in the query
// (`?done=…`), so nothing a link carries is ever shown.
export const NOTICES = {
  activate: "The account is active.",
  deactivate: "The account is deactivated: its sessions ended and its tokens are refused.",
  staff: "The account is staff.",
  unstaff: "The account is no longer staff.",
  superuser: "The account is a superuser.",
  unsuperuser: "The account is no longer a superuser.",
  unchanged: "Nothing to change: the account already was so.",
  reset_sent: "A password reset mail is on its way (if the account is active and has an address).",
  mfa_reset: "Every second factor of the account was removed.",
  session_revoked: "The session ended.",
  sessions_revoked: "Every session of the account ended.",
  deleted: "The account was deleted.",
  mail_retried: "Dead mail is back in the queue.",
  nothing_retried: "No dead mail was requeued.",
  signed_out: "You are signed out.",
} as const;

export type Notice = keyof typeof NOTICES;

export const noticeText = (code: string | null): string | undefined =>
  code !== null && Object.hasOwn(NOTICES, code) ? NOTICES[code as Notice] : undefined;
