import { type Config, ConfigError } from "../config/config.js";
import { createSecrets } from "../crypto/secrets.js";
import { connectDatabase, type DatabaseHandle } from "../db/connect.js";
import { migrateToLatest, migrationStates } from "../db/migrate.js";
import { DirectoryBusyError } from "../db/pglite/directory.js";
import { createMailQueue } from "../mail/queue.js";
import { migrationsDir } from "../paths.js";
import { createArgon2Hasher, type PasswordHasher } from "../services/passwords.js";
import * as audit from "./commands/audit.js";
import * as changepassword from "./commands/changepassword.js";
import { type CommandContext, CommandError } from "./commands/context.js";
import { createsuperuser, createsuperuserUsage, createuser, createuserUsage } from "./commands/createuser.js";
import * as dbshell from "./commands/dbshell.js";
import * as flushexpiredtokens from "./commands/flushexpiredtokens.js";
import type { ImportDjangoDeps } from "./commands/import-django.js";
import * as importDjango from "./commands/import-django.js";
import * as mail from "./commands/mail.js";
import * as user from "./commands/user.js";
import type { CliIO } from "./io.js";

interface Command {
  usage: string;
  summary: string;
  run(ctx: CommandContext, args: string[], deps: CliDeps): Promise<void>;
  /** Commands that look at the schema as it is; the others migrate it first. */
  asIs?: boolean;
}

const commands: Record<string, Command> = {
  migrate: {
    usage: "migrate",
    summary: "apply pending database migrations",
    asIs: true,
    async run(ctx) {
      const { applied } = await migrateToLatest(ctx.db, migrationsDir);
      ctx.io.out(
        applied.length === 0 ? "No migrations to apply." : applied.map((name) => `Applied ${name}`).join("\n"),
      );
    },
  },
  showmigrations: {
    usage: "showmigrations",
    summary: "list the migrations, [X] where applied",
    asIs: true,
    async run(ctx) {
      for (const { name, appliedAt } of await migrationStates(ctx.db, migrationsDir)) {
        ctx.io.out(appliedAt ? ` [X] ${name}  (${appliedAt.toISOString()})` : ` [ ] ${name}`);
      }
    },
  },
  createsuperuser: { usage: createsuperuserUsage, summary: "create a staff superuser", run: createsuperuser },
  createuser: { usage: createuserUsage, summary: "create an account (--staff, --superuser)", run: createuser },
  changepassword: { ...changepassword, summary: "set a user's password", run: changepassword.changepassword },
  flushexpiredtokens: {
    ...flushexpiredtokens,
    summary: "delete expired refresh-token records",
    run: flushexpiredtokens.flushexpiredtokens,
  },
  user: {
    ...user,
    summary: "list accounts; activate, deactivate, grant or revoke staff and superuser, delete",
    run: user.user,
  },
  dbshell: {
    ...dbshell,
    summary: "a SQL prompt on the database (psql, or PGlite's own)",
    asIs: true,
    run: dbshell.dbshell,
  },
  mail: { ...mail, summary: "list pending and dead mail in the outbox; retry dead mail", run: mail.mail },
  audit: { ...audit, summary: "read the audit trail of authentication events", run: audit.audit },
  "import-django": {
    ...importDjango,
    summary: "import users, tasks and refresh tokens from the Django service (database or dumpdata file)",
    run: (ctx, args, deps) =>
      importDjango.importDjangoCommand(ctx, args, deps.openDjangoSource ? { openSource: deps.openDjangoSource } : {}),
  },
};

export interface CliDeps {
  io: CliIO;
  loadConfig(): Config;
  /** Tests hand in their own database; by default one is opened from the configuration. */
  database?: DatabaseHandle;
  hasher?: PasswordHasher;
  /** For import-django --from postgres://…: tests open the source themselves. */
  openDjangoSource?: ImportDjangoDeps["openSource"];
}

function help(io: CliIO): void {
  io.out("usage: npm run manage -- <command> [options]\n\ncommands:");
  for (const command of Object.values(commands)) io.out(`  ${command.usage}\n      ${command.summary}`);
}

/** The manage-style command line; resolves to the process exit code. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    help(deps.io);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    deps.io.err(`unknown command '${name}'. Run 'npm run manage -- help' for the list.`);
    return 2;
  }
  let database = deps.database;
  try {
    const config = deps.loadConfig();
    database ??= await connectDatabase({ ...config.database, opener: { role: "client", title: `manage ${name}` } });
    if (!command.asIs) await migrateToLatest(database.db, migrationsDir);
    const mail = createMailQueue(createSecrets(config.secretKey));
    await command.run(
      { config, database, db: database.db, hasher: deps.hasher ?? createArgon2Hasher(), mail, io: deps.io },
      args,
      deps,
    );
    return 0;
  } catch (error) {
    if (error instanceof CommandError) {
      deps.io.err(error.message);
      return error.exitCode;
    }
    if (error instanceof ConfigError || error instanceof DirectoryBusyError) {
      deps.io.err(error.message);
      return 1;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      deps.io.err(`${error.message}\nusage: npm run manage -- ${command.usage}`);
      return 2;
    }
    deps.io.err(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (database && !deps.database) await database.close();
  }
}
