// The Django import's statements on one table (server/django-import/importer.ts
// runs them in its one transaction, in chunks).
import { sql } from "kysely";
import type { DjangoData } from "../../django-import/records.js";
import type { Executor } from "../connect.js";
import { tally, type Written } from "./written.js";

export async function tasksMadeHere(db: Executor, tasks: DjangoData["tasks"]): Promise<string[]> {
  const rows = await db
    .selectFrom("tasks")
    .select("id")
    .where("id", "=", sql<number>`any(${tasks.map((task) => task.id)}::bigint[])`)
    .where("imported_at", "is", null)
    .execute();
  return rows.map((row) => `task id ${row.id} is taken here by a task not imported from Django`);
}

export async function upsertTasks(db: Executor, tasks: DjangoData["tasks"]) {
  const column = <K extends keyof DjangoData["tasks"][number]>(key: K) => tasks.map((task) => task[key]);
  const result = await sql<Written>`
    insert into tasks as t (id, owner_id, title, description, is_completed, created_at, updated_at, imported_at)
    select id, owner_id, title, description, is_completed, created_at, created_at, now()
      from unnest(${column("id")}::bigint[], ${column("ownerId")}::int[], ${column("title")}::varchar[],
                  ${column("description")}::text[], ${column("isCompleted")}::bool[],
                  ${column("createdAt")}::timestamptz[])
           as d(id, owner_id, title, description, is_completed, created_at)
    on conflict (id) do update set
      owner_id = excluded.owner_id, title = excluded.title, description = excluded.description,
      is_completed = excluded.is_completed, created_at = excluded.created_at, updated_at = now()
    where (t.owner_id, t.title, t.description, t.is_completed, t.created_at)
            is distinct from
          (excluded.owner_id, excluded.title, excluded.description, excluded.is_completed, excluded.created_at)
    returning (xmax = 0) as inserted`.execute(db);
  return tally(result.rows);
}
