import type { Executor } from "../connect.js";

/** Imports from the Django service, newest last. */
export async function recordImport(
  db: Executor,
  entry: { source: string; startedAt: Date; summary: unknown },
): Promise<void> {
  await db
    .insertInto("django_imports")
    .values({ source: entry.source.slice(0, 300), started_at: entry.startedAt, summary: JSON.stringify(entry.summary) })
    .execute();
}

export async function latestImportFinishedAt(db: Executor): Promise<Date | undefined> {
  const row = await db
    .selectFrom("django_imports")
    .select((eb) => eb.fn.max("finished_at").as("at"))
    .executeTakeFirst();
  return row?.at ?? undefined;
}
