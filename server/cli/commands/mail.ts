import { parseArgs } from "node:util";
import { countMail, listMail, type MailStatus } from "../../db/repositories/outbox.js";
import { retryMail } from "../../services/mail-retry.js";
import { type CommandContext, CommandError } from "./context.js";

export const usage = "mail list [--status pending|dead|sent|all] [--limit N] | mail retry (--all | ID...)";

const STATUSES: MailStatus[] = ["pending", "dead", "sent"];

/** The outbox: what waits, what died (and why), and dead mail sent back to the queue. */
export async function mail(ctx: CommandContext, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action === "list") return list(ctx, rest);
  if (action === "retry") return retry(ctx, rest);
  throw new CommandError(`usage: ${usage}`, 2);
}

async function list(ctx: CommandContext, args: string[]) {
  const { values } = parseArgs({
    args,
    options: { status: { type: "string", default: "pending,dead" }, limit: { type: "string", default: "100" } },
  });
  const wanted = values.status === "all" ? STATUSES : (values.status.split(",") as MailStatus[]);
  if (!wanted.every((status) => STATUSES.includes(status))) {
    throw new CommandError(`--status takes pending, dead, sent or all, not '${values.status}'`, 2);
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CommandError("--limit takes a positive whole number", 2);

  const counts = await countMail(ctx.db);
  ctx.io.out(`outbox: ${counts.pending} pending, ${counts.dead} dead, ${counts.sent} sent`);
  for (const row of await listMail(ctx.db, wanted, limit)) {
    const when =
      row.status === "sent" ? `sent ${row.sentAt?.toISOString()}` : `next ${row.nextAttemptAt.toISOString()}`;
    const error = row.lastError ? `  last error: ${row.lastError}` : "";
    ctx.io.out(
      `#${row.id} ${row.status} ${row.kind} to ${row.to} "${row.subject}" attempts=${row.attempts} ${when}${error}`,
    );
  }
}

async function retry(ctx: CommandContext, args: string[]) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { all: { type: "boolean" } } });
  if (Boolean(values.all) === positionals.length > 0) throw new CommandError("mail retry takes --all or mail ids", 2);
  const ids = positionals.map(Number);
  if (!ids.every((id) => Number.isSafeInteger(id) && id > 0)) throw new CommandError("mail ids are whole numbers", 2);
  const count = await retryMail(ctx, ids, "cli");
  if (ids.length > 0 && count < ids.length) {
    throw new CommandError(`${count} of ${ids.length} mails requeued: the others are not dead (or do not exist)`);
  }
  ctx.io.out(`${count} dead mail${count === 1 ? "" : "s"} requeued; the server delivers them shortly.`);
}
