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
import type { User } from "../db/repositories/users.js";
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

export const listTasks = (deps: TaskDeps, user: User, query: TaskQuery | undefined): Promise<Task[]> =>
  tasks.listTasks(deps.db, user.id, filtersOf(query), orderingOf(query));

export async function pageTasks(
  deps: TaskDeps,
  user: User,
  query: TaskQuery & { limit: number; offset: number },
): Promise<TaskPage> {
  const page = await tasks.pageTasks(deps.db, user.id, filtersOf(query), orderingOf(query), query.limit, query.offset);
  return { count: page.count, limit: query.limit, offset: query.offset, results: page.results };
}

export async function getTask(deps: TaskDeps, user: User, id: number): Promise<Task> {
  const task = await tasks.findTask(deps.db, user.id, id);
  if (!task) throw notFound();
  return task;
}

/** The owner is always the caller, whatever the input says. */
export const createTask = (deps: TaskDeps, user: User, input: CreateTaskInput): Promise<Task> =>
  tasks.insertTask(deps.db, user.id, {
    title: input.title,
    description: input.description ?? "",
    isCompleted: input.is_completed ?? false,
  });

export async function changeTask(deps: TaskDeps, user: User, input: UpdateTaskInput | PatchTaskInput): Promise<Task> {
  const task = await tasks.updateTask(deps.db, user.id, input.id, {
    title: input.title,
    description: input.description,
    isCompleted: input.is_completed,
  });
  if (!task) throw notFound();
  return task;
}

export async function removeTask(deps: TaskDeps, user: User, id: number): Promise<Record<string, never>> {
  if (!(await tasks.deleteTask(deps.db, user.id, id))) throw notFound();
  return {};
}
