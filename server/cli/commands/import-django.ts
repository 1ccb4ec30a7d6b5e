import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { readDumpdata } from "../../django-import/from-dumpdata.js";
import { type Queryable, readDjangoDatabase } from "../../django-import/from-postgres.js";
import { type ImportSummary, importDjango } from "../../django-import/importer.js";
import type { DjangoData } from "../../django-import/records.js";
import { type CommandContext, CommandError } from "./context.js";

export const usage =
  "import-django --from postgres://…|FILE.json [--dry-run] [--tasks-table tasks_task] [--tasks-model tasks.task]";

export interface ImportDjangoDeps {
  /** Tests read a source database without a URL (e.g. a second PGlite). */
  openSource?: (from: string) => Promise<Queryable & { end(): Promise<void> }>;
}

/** Users, tasks and refresh-token records from the Django service; safe to run again. */
export async function importDjangoCommand(ctx: CommandContext, args: string[], deps: ImportDjangoDeps = {}) {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "tasks-table": { type: "string" },
      "tasks-model": { type: "string" },
    },
  });
  const from = values.from;
  if (!from) throw new CommandError(`--from is required\nusage: npm run manage -- ${usage}`, 2);
  const progress = (line: string) => ctx.io.err(line);

  let data: DjangoData;
  let source: string;
  if (/^postgres(ql)?:\/\//.test(from)) {
    source = withoutPassword(from);
    progress(`reading ${source}`);
    const client = await (deps.openSource ?? connect)(from);
    try {
      data = await readDjangoDatabase(client, values["tasks-table"] ? { tasksTable: values["tasks-table"] } : {});
    } finally {
      await client.end();
    }
  } else {
    source = from;
    progress(`reading ${from}`);
    const text = await readFile(from, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CommandError(`cannot read ${from} (${error.code ?? error.message})`);
    });
    data = readDumpdata(text, values["tasks-model"] ? { tasksModel: values["tasks-model"] } : {});
  }

  const summary = await importDjango(ctx.db, data, {
    source,
    dryRun: values["dry-run"],
    sessionMaxLifetime: ctx.config.jwt.sessionMaxLifetime,
    progress,
  });
  for (const line of report(summary, source)) ctx.io.out(line);
}

async function connect(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function report(summary: ImportSummary, source: string): string[] {
  const row = (label: string, c: ImportSummary["users"]) =>
    `${label.padEnd(15)}${String(c.total).padStart(8)}   created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}`;
  const lines = [
    summary.dryRun ? `Dry run of the import from ${source}: nothing was written.` : `Imported from ${source}.`,
    row("users", summary.users),
    row("tasks", summary.tasks),
    `${row("refresh tokens", summary.tokens)} (${summary.tokens.revoked} revoked)`,
  ];
  const { tokensOfUnknownUsers, tokensWithLongJti } = summary.skipped;
  if (tokensOfUnknownUsers > 0) lines.push(`Skipped ${plural(tokensOfUnknownUsers, "token")} of deleted users.`);
  if (tokensWithLongJti > 0) lines.push(`Skipped ${plural(tokensWithLongJti, "token")} with a jti over 64 characters.`);
  if (summary.unusablePasswords > 0) {
    lines.push(
      `${plural(summary.unusablePasswords, "user")} without a usable password (as in Django: no password login).`,
    );
  }
  for (const [algorithm, count] of Object.entries(summary.unverifiablePasswords)) {
    lines.push(
      `${plural(count, "user")} with "${algorithm}" hashes, which no verifier here reads: they must reset their password.`,
    );
  }
  for (const note of summary.notes) lines.push(`Note: ${note}.`);
  return lines;
}
