import { z } from "zod";
import { booleanField, charField, idField, messages } from "./fields.js";

export const TITLE_MAX_LENGTH = 255;
export const PAGE_MAX_LIMIT = 100;
export const PAGE_DEFAULT_LIMIT = 20;

/** A task as clients see it: the Django service's TaskSerializer fields, in its order. */
export const taskOutput = z.object({
  id: z.number().int(),
  title: z.string(),
  description: z.string(),
  is_completed: z.boolean(),
  /** ISO 8601 with microseconds and `Z`, as DRF renders it. */
  created_at: z.string(),
  /** The owner's user id: always the caller. */
  owner: z.number().int(),
});
export type Task = z.infer<typeof taskOutput>;

const title = () => charField({ max: TITLE_MAX_LENGTH });

export const taskIdInput = z.object({ id: idField() });

export const createTaskInput = z.object({
  title: title(),
  description: charField({ allowBlank: true }).optional(),
  is_completed: booleanField().optional(),
});
export type CreateTaskInput = z.infer<typeof createTaskInput>;

/** PUT: `title` is required; fields left out keep their values (DRF's full update). */
export const updateTaskInput = createTaskInput.extend({ id: idField() });
export type UpdateTaskInput = z.infer<typeof updateTaskInput>;

export const patchTaskInput = z.object({
  id: idField(),
  title: title().optional(),
  description: charField({ allowBlank: true }).optional(),
  is_completed: booleanField().optional(),
});
export type PatchTaskInput = z.infer<typeof patchTaskInput>;

export const taskOrderings = ["created_at", "-created_at", "title", "-title"] as const;
export type TaskOrdering = (typeof taskOrderings)[number];

const orderingMessage = `Order by one or more of ${taskOrderings.join(", ")}, separated by commas.`;

/** Filters and ordering shared by the list and the page. */
export const taskQuery = z.object({
  is_completed: booleanField().optional().describe("Only completed (true) or open (false) tasks"),
  /** Case-insensitive substring of the title. */
  search: charField({ allowBlank: true, max: TITLE_MAX_LENGTH })
    .optional()
    .describe("A substring of the title, ignoring case"),
  /** `created_at`, `-created_at`, `title`, `-title`, or several joined by commas. */
  ordering: z
    .string({ error: messages.notString })
    .max(200, { error: orderingMessage })
    .refine(
      (value) =>
        value.trim() === "" ||
        value.split(",").every((part) => (taskOrderings as readonly string[]).includes(part.trim())),
      { error: orderingMessage },
    )
    .optional()
    .describe(`${taskOrderings.join(", ")}; several joined by commas`),
});
export type TaskQuery = z.infer<typeof taskQuery>;

export const listTasksInput = taskQuery.optional();
export const listTasksOutput = z.array(taskOutput);

const pageNumber = (name: string, min: number, max: number) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? messages.required : messages.integer) })
    .int({ error: messages.integer })
    .min(min, { error: `Ensure this value is greater than or equal to ${min}.` })
    .max(max, { error: `Ensure this value is less than or equal to ${max}.` })
    .describe(name);

export const pageTasksInput = taskQuery.extend({
  limit: pageNumber(
    `Page size (1-${PAGE_MAX_LIMIT}, default ${PAGE_DEFAULT_LIMIT}); asks for a page`,
    1,
    PAGE_MAX_LIMIT,
  ).default(PAGE_DEFAULT_LIMIT),
  offset: pageNumber("Rows to skip (default 0); asks for a page", 0, Number.MAX_SAFE_INTEGER).default(0),
});
export type PageTasksInput = z.input<typeof pageTasksInput>;

export const taskPageOutput = z.object({
  count: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  results: z.array(taskOutput),
});
export type TaskPage = z.infer<typeof taskPageOutput>;

/** The REST page: DRF's LimitOffsetPagination shape, with absolute `next`/`previous` links. */
export const restTaskPage = z.object({
  count: z.number().int(),
  next: z.string().nullable(),
  previous: z.string().nullable(),
  results: z.array(taskOutput),
});
