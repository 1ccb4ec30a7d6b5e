import { sql } from "kysely";
import type { Executor } from "../connect.js";

/** New rows made here must get ids past the imported ones (and past any handed out already). */
export async function moveSequence(db: Executor, table: "users" | "tasks") {
  await sql`
    select setval(pg_get_serial_sequence(${table}, 'id'),
                  greatest((select coalesce(max(id), 0) from ${sql.table(table)}),
                           coalesce(pg_sequence_last_value(pg_get_serial_sequence(${table}, 'id')::regclass), 0)) + 1,
                  false)`.execute(db);
}
