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

type TaskDeps = Pick<Deps, "db">;

const notFound = () => new AppError("not_found", texts.notFound);

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

export const listTasks = (deps: TaskDeps, owner: tasks.TaskOwner, query: TaskQuery | undefined): Promise<Task[]> =>
  tasks.listTasks(deps.db, owner, filtersOf(query), orderingOf(query));

export async function pageTasks(
  deps: TaskDeps,
  owner: tasks.TaskOwner,
  query: TaskQuery & { limit: number; offset: number },
): Promise<TaskPage> {
  const page = await tasks.pageTasks(deps.db, owner, filtersOf(query), orderingOf(query), query.limit, query.offset);
  return { count: page.count, limit: query.limit, offset: query.offset, results: page.results };
}

export async function getTask(deps: TaskDeps, owner: tasks.TaskOwner, id: number): Promise<Task> {
  const task = await tasks.findTask(deps.db, owner, id);
  if (!task) throw notFound();
  return task;
}

/**
 * The owner is always the caller, whatever the input says. No row: the token's
 * user no longer accepts it (the procedure then reports why, as authentication would).
 */
export async function createTask(deps: TaskDeps, owner: tasks.TaskOwner, input: CreateTaskInput): Promise<Task> {
  const task = await tasks.insertTask(deps.db, owner, {
    title: input.title,
    description: input.description ?? "",
    isCompleted: input.is_completed ?? false,
  });
  if (!task) throw new AppError("token_not_valid", texts.tokenInvalidOrExpired);
  return task;
}

export async function changeTask(
  deps: TaskDeps,
  owner: tasks.TaskOwner,
  input: UpdateTaskInput | PatchTaskInput,
): Promise<Task> {
  const task = await tasks.updateTask(deps.db, owner, input.id, {
    title: input.title,
    description: input.description,
    isCompleted: input.is_completed,
  });
  if (!task) throw notFound();
  return task;
}

export async function removeTask(deps: TaskDeps, owner: tasks.TaskOwner, id: number): Promise<Record<string, never>> {
  if (!(await tasks.deleteTask(deps.db, owner, id))) throw notFound();
  return {};
}
