import { parseArgs } from "node:util";
import { AUTH_EVENTS, listEvents } from "../../db/repositories/auth-events.js";
import { type CommandContext, CommandError } from "./context.js";

export const usage = "audit [--user USERNAME] [--event NAME] [--since ISO-DATE] [--limit N]";

/**
 * The audit trail, newest first: registrations, logins, failures, lockouts,
 * refreshes, reuse, logouts, password changes, operators' changes to accounts…
 */
export async function audit(ctx: CommandContext, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: "string" },
      event: { type: "string" },
      since: { type: "string" },
      limit: { type: "string", default: "100" },
    },
  });
  if (values.event !== undefined && !(AUTH_EVENTS as readonly string[]).includes(values.event)) {
    throw new CommandError(`--event takes one of: ${AUTH_EVENTS.join(", ")}`, 2);
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw new CommandError("--limit takes a whole number", 2);
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime()))
    throw new CommandError("--since takes a date, e.g. 2026-01-31T12:00:00Z", 2);
  const events = await listEvents(ctx.db, {
    limit,
    ...(values.user !== undefined ? { username: values.user } : {}),
    ...(values.event !== undefined ? { event: values.event } : {}),
    ...(since ? { since } : {}),
  });
  for (const event of events) {
    // A known user's name now; else the name as presented (an unknown one) or as it was (a deleted one).
    const who =
      event.username === null ? "" : event.userId !== null ? `user=${event.username}` : `username=${event.username}`;
    const parts = [
      event.occurredAt.toISOString(),
      event.event,
      who,
      event.ip ? `ip=${event.ip}` : "",
      event.userAgent ? `agent=${JSON.stringify(event.userAgent)}` : "",
      event.detail ? JSON.stringify(event.detail) : "",
    ];
    ctx.io.out(parts.filter(Boolean).join(" "));
  }
  if (events.length === 0) ctx.io.out("No events.");
}
