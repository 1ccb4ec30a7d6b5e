import { type ExpressionBuilder, type SelectQueryBuilder, sql } from "kysely";
import type { TaskOrdering } from "../../contracts/task.js";
import { compiledStatement } from "../compiled.js";
import type { Executor } from "../connect.js";
import type { Database } from "../schema.js";
import { containing } from "./like.js";
import { acceptsToken, type TokenClaims } from "./users.js";

// Every statement here is scoped to one owner inside the SQL itself: rows of
// other users are never fetched, so there is nothing to check afterwards.

/**
 * Whose tasks: a user already authenticated, or the holder of an access token
 * that the statement checks itself (`acceptsToken`), which saves the request a
 * round trip. A holder whose token the rule no longer accepts owns nothing:
 * statements find, change and create nothing.
 */
export interface TaskOwner {
  userId: number;
  /** The token's claims, when the statement is to check them. */
  token?: TokenClaims | undefined;
}

/** The owner's user row: the caller's, or the token holder's while it still accepts the token. */
const ownerRow =
  ({ userId, token }: TaskOwner) =>
  (eb: ExpressionBuilder<Database, "users">) =>
    token === undefined ? eb("users.id", "=", userId) : acceptsToken(token)(eb);

function ownerId(eb: ExpressionBuilder<Database, "tasks">, owner: TaskOwner) {
  if (owner.token === undefined) return eb.val(owner.userId);
  return eb.selectFrom("users").select("users.id").where(ownerRow(owner));
}

export interface TaskFilters {
  isCompleted?: boolean | undefined;
  search?: string | undefined;
}

export interface TaskChanges {
  title?: string | undefined;
  description?: string | undefined;
  isCompleted?: boolean | undefined;
}

const returned = (eb: ExpressionBuilder<Database, "tasks">) =>
  [
    "tasks.id",
    "tasks.title",
    "tasks.description",
    "tasks.is_completed",
    "tasks.owner_id",
    // DRF renders microseconds and a `Z`; JavaScript dates would lose the microseconds.
    eb
      .fn<string>("to_char", [sql`tasks.created_at at time zone 'UTC'`, sql.lit('YYYY-MM-DD"T"HH24:MI:SS.US"Z"')])
      .as("created_at"),
  ] as const;

export interface TaskRow {
  id: number;
  title: string;
  description: string;
  is_completed: boolean;
  owner_id: number;
  /** ISO 8601 in UTC with microseconds: `2026-12-02T18:00:00.123456Z`. */
  created_at: string;
}

const ORDER_COLUMNS: Record<TaskOrdering, ["created_at" | "title", "asc" | "desc"]> = {
  created_at: ["created_at", "asc"],
  "-created_at": ["created_at", "desc"],
  title: ["title", "asc"],
  "-title": ["title", "desc"],
};

// An owner and filters as flat values, for compiled statements (`compiled.ts`).
interface OwnerValues {
  userId: number;
  version: number | undefined;
  sid: string | undefined;
}

interface Scope extends OwnerValues {
  isCompleted: boolean | undefined;
  pattern: string | undefined;
}

const ownerValues = ({ userId, token }: TaskOwner): OwnerValues => ({
  userId,
  version: token?.version,
  sid: token?.sid,
});

const scopeOf = (owner: TaskOwner, filters: TaskFilters): Scope => ({
  ...ownerValues(owner),
  isCompleted: filters.isCompleted,
  pattern: filters.search ? containing(filters.search) : undefined,
});

const ownerOf = ({ userId, version, sid }: OwnerValues): TaskOwner =>
  version === undefined ? { userId } : { userId, token: { userId, version, sid } };

function scopedBy(db: Executor, scope: Scope) {
  let query = db.selectFrom("tasks").where((eb) => eb("tasks.owner_id", "=", ownerId(eb, ownerOf(scope))));
  if (scope.isCompleted !== undefined) query = query.where("tasks.is_completed", "=", scope.isCompleted);
  if (scope.pattern !== undefined) query = query.where("tasks.title", "ilike", scope.pattern);
  return query;
}

const scoped = (db: Executor, owner: TaskOwner, filters: TaskFilters) => scopedBy(db, scopeOf(owner, filters));

function ordered<O>(query: SelectQueryBuilder<Database, "tasks", O>, ordering: readonly TaskOrdering[]) {
  for (const field of ordering) {
    const [column, direction] = ORDER_COLUMNS[field];
    query = query.orderBy(`tasks.${column}`, direction);
  }
  // The id breaks ties, so pages never overlap or skip rows.
  const first = ordering[0];
  return query.orderBy("tasks.id", first && ORDER_COLUMNS[first][1] === "desc" ? "desc" : "asc");
}

// The task list is a hot path: built once per shape (the ordering is part of it).
// It reads the owner's user row and joins the tasks to it, so that one round
// trip tells an owner with no tasks (one row of nulls) from a token holder
// whose token the row no longer accepts (no row at all).
const taskList = compiledStatement((db, scope: Scope, ordering) => {
  const listed = db
    .selectFrom("users")
    .leftJoin("tasks", (join) => {
      let on = join.onRef("tasks.owner_id", "=", "users.id");
      if (scope.isCompleted !== undefined) on = on.on("tasks.is_completed", "=", scope.isCompleted);
      if (scope.pattern !== undefined) on = on.on("tasks.title", "ilike", scope.pattern);
      return on;
    })
    .where(ownerRow(ownerOf(scope)))
    .select((eb) => returned(eb as unknown as ExpressionBuilder<Database, "tasks">));
  const fields = ordering === "" ? [] : (ordering.split(",") as TaskOrdering[]);
  return ordered(listed as unknown as SelectQueryBuilder<Database, "tasks", TaskRow | NoTask>, fields);
});

/** The row of an owner without (matching) tasks. */
type NoTask = { [K in keyof TaskRow]: null };

/** The owner's tasks; undefined when the owner has no user row (a token holder that the row no longer accepts). */
export async function listTasks(
  db: Executor,
  owner: TaskOwner,
  filters: TaskFilters,
  ordering: readonly TaskOrdering[],
): Promise<TaskRow[] | undefined> {
  const rows = await taskList(db, scopeOf(owner, filters), ordering.join(","));
  if (rows.length === 0) return undefined;
  return rows[0]?.id === null ? [] : (rows as TaskRow[]);
}

/** One page and the total count, in one query while the page is not past the end. */
export async function pageTasks(
  db: Executor,
  owner: TaskOwner,
  filters: TaskFilters,
  ordering: readonly TaskOrdering[],
  limit: number,
  offset: number,
): Promise<{ count: number; rows: TaskRow[] }> {
  const rows = await ordered(
    scoped(db, owner, filters).select((eb) => [...returned(eb), sql<number>`count(*) over ()`.as("total")]),
    ordering,
  )
    .limit(limit)
    .offset(offset)
    .execute();
  if (rows.length > 0) return { count: Number(rows[0]?.total), rows };
  const { total } = await scoped(db, owner, filters)
    .select((eb) => eb.fn.countAll<number>().as("total"))
    .executeTakeFirstOrThrow();
  return { count: Number(total), rows: [] };
}

export function findTask(db: Executor, owner: TaskOwner, id: number): Promise<TaskRow | undefined> {
  return scoped(db, owner, {}).select(returned).where("tasks.id", "=", id).executeTakeFirst();
}

const taskInsert = compiledStatement(
  (db, values: OwnerValues & { title: string; description: string; isCompleted: boolean }) =>
    db
      .insertInto("tasks")
      .columns(["owner_id", "title", "description", "is_completed"])
      .expression(
        db
          .selectFrom("users")
          .where(ownerRow(ownerOf(values)))
          .select((eb) => [
            "users.id",
            eb.val(values.title).as("title"),
            eb.val(values.description).as("description"),
            eb.val(values.isCompleted).as("is_completed"),
          ]),
      )
      .returning(returned),
);

/** Undefined when the owner has no user row (a token holder that the row no longer accepts). */
export async function insertTask(
  db: Executor,
  owner: TaskOwner,
  task: { title: string; description: string; isCompleted: boolean },
): Promise<TaskRow | undefined> {
  const [row] = await taskInsert(db, { ...ownerValues(owner), ...task });
  return row;
}

/** Changes the caller's task in one statement; undefined when there is none with that id. */
export async function updateTask(
  db: Executor,
  owner: TaskOwner,
  id: number,
  changes: TaskChanges,
): Promise<TaskRow | undefined> {
  return db
    .updateTable("tasks")
    .set({
      ...(changes.title !== undefined ? { title: changes.title } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.isCompleted !== undefined ? { is_completed: changes.isCompleted } : {}),
      updated_at: sql`now()`,
    })
    .where("tasks.id", "=", id)
    .where((eb) => eb("tasks.owner_id", "=", ownerId(eb, owner)))
    .returning(returned)
    .executeTakeFirst();
}

export async function deleteTask(db: Executor, owner: TaskOwner, id: number): Promise<boolean> {
  const result = await db
    .deleteFrom("tasks")
    .where("tasks.id", "=", id)
    .where((eb) => eb("tasks.owner_id", "=", ownerId(eb, owner)))
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
