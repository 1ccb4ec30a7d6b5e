import { emptyOutput } from "../contracts/auth.js";
import {
  createTaskInput,
  listTasksInput,
  listTasksOutput,
  pageTasksInput,
  patchTaskInput,
  taskIdInput,
  taskOutput,
  taskPageOutput,
  updateTaskInput,
} from "../contracts/task.js";
import { changeTask, createTask, getTask, listTasks, pageTasks, removeTask } from "../services/tasks.js";
import { ownerProcedure, protectedProcedure, router } from "../trpc.js";

/** The caller's own tasks; other users' tasks answer not_found, exactly like missing ones. */
export const taskRouter = router({
  list: ownerProcedure
    .input(listTasksInput)
    .output(listTasksOutput)
    .query(({ ctx, input }) => listTasks(ctx.deps, ctx.owner, input)),

  page: protectedProcedure
    .input(pageTasksInput)
    .output(taskPageOutput)
    .query(({ ctx, input }) => pageTasks(ctx.deps, { userId: ctx.user.id }, input)),

  byId: ownerProcedure
    .input(taskIdInput)
    .output(taskOutput)
    .query(({ ctx, input }) => getTask(ctx.deps, ctx.owner, input.id)),

  create: ownerProcedure
    .input(createTaskInput)
    .output(taskOutput)
    .mutation(({ ctx, input }) => createTask(ctx.deps, ctx.owner, input)),

  update: ownerProcedure
    .input(updateTaskInput)
    .output(taskOutput)
    .mutation(({ ctx, input }) => changeTask(ctx.deps, ctx.owner, input)),

  patch: ownerProcedure
    .input(patchTaskInput)
    .output(taskOutput)
    .mutation(({ ctx, input }) => changeTask(ctx.deps, ctx.owner, input)),

  remove: ownerProcedure
    .input(taskIdInput)
    .output(emptyOutput)
    .mutation(({ ctx, input }) => removeTask(ctx.deps, ctx.owner, input.id)),
});
