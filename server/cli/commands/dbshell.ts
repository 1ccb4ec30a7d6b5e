import type { ScriptResult } from "../../db/scripts.js";
import { endsStatement } from "../sql-input.js";
import { type CommandContext, CommandError } from "./context.js";
import { table } from "./table.js";

export const usage = "dbshell";

/**
 * A SQL prompt on the configured database, like Django's dbshell: psql for
 * PostgreSQL; for PGlite, which psql cannot open, a small prompt of our own,
 * through the running server or on the folder itself.
 */
export async function dbshell(ctx: CommandContext, args: string[]): Promise<void> {
  if (args.length > 0) throw new CommandError(`usage: ${usage}`, 2);
  const url = ctx.config.database.url;
  if (url) {
    const { target, password } = withoutPassword(url);
    try {
      const code = await ctx.io.runProgram("psql", [target], password === undefined ? {} : { PGPASSWORD: password });
      if (code !== 0) throw new CommandError(`psql exited with ${code}`, code);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      ctx.io.err("psql is not installed (Debian: apt-get install postgresql-client); using the built-in prompt.");
    }
  }
  await prompt(ctx);
}

/** The password goes to psql in its environment, not on a command line that `ps` shows. */
function withoutPassword(url: string): { target: string; password: string | undefined } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = "";
  return { target: parsed.toString(), password };
}

const HELP = [
  "Statements end with ';'. A piped script stops at its first error.",
  "  \\dt        list tables",
  "  \\d NAME    describe a table",
  "  \\q        quit",
];

async function prompt(ctx: CommandContext): Promise<void> {
  const { io } = ctx;
  if (io.interactive) io.out(`SQL prompt on ${where(ctx)}. Type \\? for help, \\q to quit.`);
  let statement = "";
  for await (const line of io.lines(() => (statement ? "jwt-auth-# " : "jwt-auth=# "))) {
    const meta = statement === "" && line.trim().startsWith("\\") ? line.trim() : undefined;
    if (meta === "\\q") return;
    if (meta !== undefined) {
      await run(ctx, metaCommand(meta));
      continue;
    }
    statement = statement ? `${statement}\n${line}` : line;
    if (endsStatement(statement)) {
      const text = statement;
      statement = "";
      await run(ctx, text);
    }
  }
  if (statement.trim()) await run(ctx, statement);
}

function where(ctx: CommandContext): string {
  if (ctx.database.kind === "postgres") return "PostgreSQL";
  const via = ctx.database.via === "owner" ? ", through the running server" : "";
  return `the PGlite database in ${ctx.config.database.pgliteDir}${via}`;
}

function metaCommand(command: string): string | undefined {
  if (command === "\\dt") {
    return "select table_name as table from information_schema.tables where table_schema = 'public' order by 1;";
  }
  const describe = /^\\d\s+([\w.]+)$/.exec(command);
  if (describe) {
    const name = (describe[1] ?? "").replaceAll("'", "''");
    return (
      "select column_name as column, data_type as type, is_nullable as nullable, column_default as default " +
      `from information_schema.columns where table_schema = 'public' and table_name = '${name}' order by ordinal_position;`
    );
  }
  return undefined;
}

async function run(ctx: CommandContext, text: string | undefined): Promise<void> {
  if (text === undefined) {
    for (const line of HELP) ctx.io.out(line);
    return;
  }
  let results: ScriptResult[];
  try {
    results = await ctx.database.runScript(text);
  } catch (error) {
    const message = `ERROR:  ${error instanceof Error ? error.message : String(error)}`;
    if (!ctx.io.interactive) throw new CommandError(message);
    ctx.io.err(message);
    return;
  }
  for (const result of results) for (const line of render(result)) ctx.io.out(line);
}

function render(result: ScriptResult): string[] {
  if (result.columns.length === 0) return [result.affected === undefined ? "OK" : `OK, ${rows(result.affected)}`];
  return [
    ...table(
      result.columns,
      result.rows.map((row) => row.map(cell)),
    ),
    `(${rows(result.rows.length)})`,
    "",
  ];
}

const rows = (count: number) => `${count} row${count === 1 ? "" : "s"}`;

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString("hex")}`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
