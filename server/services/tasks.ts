import type {
  CreateTaskInput,
  PatchTaskInput,
  Task,
  TaskOrdering,
  TaskPage,
  TaskQuery,
  UpdateTaskInput,
} from "../contracts/task.js";
import * as tasks from "../db/repositories/tasks.js";
import type { Deps } from "../deps.js";
import { AppError, texts } from "../errors.js";
import { ownerRefused } from "./auth.js";

type TaskDeps = Pick<Deps, "db">;

const notFound = () => new AppError("not_found", texts.notFound);

/** A row as the API shows it (DRF's field names and timestamp format). */
function toTask(row: tasks.TaskRow): Task {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    is_completed: row.is_completed,
    // Python's isoformat() leaves out a zero fraction.
    created_at: row.created_at.replace(".000000Z", "Z"),
    owner: row.owner_id,
  };
}

/** `"title, -created_at"` → the allow-listed fields in order, each once (the contract has checked them). */
function orderingOf(query: TaskQuery | undefined): TaskOrdering[] {
  const fields = (query?.ordering ?? "")
    .split(",")
    .map((field) => field.trim())
    .filter(Boolean) as TaskOrdering[];
  const seen = new Set<string>();
  return fields.filter((field) => {
    const column = field.replace(/^-/, "");
    if (seen.has(column)) return false;
    seen.add(column);
    return true;
  });
}

const filtersOf = (query: TaskQuery | undefined): tasks.TaskFilters => ({
  isCompleted: query?.is_completed,
  search: query?.search || undefined,
});

export async function listTasks(deps: TaskDeps, owner: tasks.TaskOwner, query: TaskQuery | undefined): Promise<Task[]> {
  const rows = await tasks.listTasks(deps.db, owner, filtersOf(query), orderingOf(query));
  if (!rows) throw ownerRefused();
  return rows.map(toTask);
}

export async function pageTasks(
  deps: TaskDeps,
  owner: tasks.TaskOwner,
  query: TaskQuery & { limit: number; offset: number },
): Promise<TaskPage> {
  const page = await tasks.pageTasks(deps.db, owner, filtersOf(query), orderingOf(query), query.limit, query.offset);
  return { count: page.count, limit: query.limit, offset: query.offset, results: page.rows.map(toTask) };
}

export async function getTask(deps: TaskDeps, owner: tasks.TaskOwner, id: number): Promise<Task> {
  const row = await tasks.findTask(deps.db, owner, id);
  if (!row) throw notFound();
  return toTask(row);
}

/**
 * The owner is always the caller, whatever the input says. No row: the token's
 * user no longer accepts it (the procedure then reports why, as authentication would).
 */
export async function createTask(deps: TaskDeps, owner: tasks.TaskOwner, input: CreateTaskInput): Promise<Task> {
  const row = await tasks.insertTask(deps.db, owner, {
    title: input.title,
    description: input.description ?? "",
    isCompleted: input.is_completed ?? false,
  });
  if (!row) throw ownerRefused();
  return toTask(row);
}

export async function changeTask(
  deps: TaskDeps,
  owner: tasks.TaskOwner,
  input: UpdateTaskInput | PatchTaskInput,
): Promise<Task> {
  const row = await tasks.updateTask(deps.db, owner, input.id, {
    title: input.title,
    description: input.description,
    isCompleted: input.is_completed,
  });
  if (!row) throw notFound();
  return toTask(row);
}

export async function removeTask(deps: TaskDeps, owner: tasks.TaskOwner, id: number): Promise<Record<string, never>> {
  if (!(await tasks.deleteTask(deps.db, owner, id))) throw notFound();
  return {};
}
