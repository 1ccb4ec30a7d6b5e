import { parseArgs } from "node:util";
import { countUsers, type ListedUser, listUsers, type UserFilter } from "../../db/repositories/user-list.js";
import { type CommandContext, CommandError } from "./context.js";
import { table } from "./table.js";

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** The accounts, filtered, then the counts: what matched, and the whole. */
export async function listUsersCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      active: { type: "boolean" },
      inactive: { type: "boolean" },
      staff: { type: "boolean" },
      superuser: { type: "boolean" },
      search: { type: "string" },
      limit: { type: "string", default: "100" },
    },
  });
  if (values.active && values.inactive) throw new CommandError("--active and --inactive exclude each other", 2);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    throw new CommandError("--limit takes a whole number from 1 to 100000", 2);
  }
  const filter: UserFilter = {
    ...(values.active || values.inactive ? { active: Boolean(values.active) } : {}),
    ...(values.staff ? { staff: true } : {}),
    ...(values.superuser ? { superuser: true } : {}),
    ...(values.search !== undefined ? { search: values.search } : {}),
  };
  const [users, counts] = await Promise.all([listUsers(ctx.db, filter, { limit }), countUsers(ctx.db, filter)]);
  if (users.length > 0) for (const line of table(COLUMNS, users.map(row))) ctx.io.out(line);
  const shown = users.length < counts.matching ? `${users.length} of ${counts.matching}` : `${counts.matching}`;
  ctx.io.out(
    `${shown} matching; ${plural(counts.total, "user")} in all: ${counts.active} active, ` +
      `${counts.staff} staff, ${plural(counts.superuser, "superuser")}.`,
  );
}

const COLUMNS = ["id", "username", "email", "name", "active", "staff", "superuser", "last login", "joined"];

const day = (date: Date | null) => (date ? date.toISOString().slice(0, 16).replace("T", " ") : "never");
const yes = (flag: boolean) => (flag ? "yes" : "no");

const row = (user: ListedUser) => [
  String(user.id),
  user.username,
  user.email,
  `${user.firstName} ${user.lastName}`.trim(),
  yes(user.isActive),
  yes(user.isStaff),
  yes(user.isSuperuser),
  day(user.lastLogin),
  day(user.dateJoined),
];
