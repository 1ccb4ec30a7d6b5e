import type { Procedures } from "@jwt-auth/client";
import { useCallback, useEffect, useState } from "react";
import { client } from "../auth";
import { ErrorMessage } from "../errors";
import { field, useAction } from "../use-action";

type Task = Procedures["task.byId"]["output"];

export function TasksPage() {
  const [tasks, setTasks] = useState<Task[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const reload = useCallback(async () => {
    try {
      setTasks(await client.task.list({ ordering: "-created_at" }));
      setError(undefined);
    } catch (failure) {
      setError(failure);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  const create = useAction(async (form) => {
    await client.task.create({ title: field(form, "title"), description: field(form, "description") });
    await reload();
  });
  const act = (work: () => Promise<unknown>) => async () => {
    try {
      await work();
      await reload();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section>
      <h1>Tasks</h1>
      <form onSubmit={create.onSubmit} className="inline">
        <label>
          Title <input name="title" required maxLength={255} />
        </label>
        <label>
          Description <input name="description" />
        </label>
        <button type="submit" disabled={create.pending}>
          Add
        </button>
      </form>
      <ErrorMessage error={create.error ?? error} />
      <button type="button" onClick={() => void reload()}>
        Reload
      </button>
      {tasks === undefined ? (
        <p>Loading tasks…</p>
      ) : tasks.length === 0 ? (
        <p>No tasks yet.</p>
      ) : (
        <ul aria-label="Tasks" className="tasks">
          {tasks.map((task) => (
            <li key={task.id}>
              <label className={task.is_completed ? "done" : ""}>
                <input
                  type="checkbox"
                  checked={task.is_completed}
                  onChange={act(() => client.task.patch({ id: task.id, is_completed: !task.is_completed }))}
                />
                {task.title}
              </label>
              {task.description && <small> {task.description}</small>}
              <button
                type="button"
                aria-label={`Delete ${task.title}`}
                onClick={act(() => client.task.remove({ id: task.id }))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
