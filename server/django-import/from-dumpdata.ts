import { z } from "zod";
import type { DjangoData } from "./records.js";

/**
 * Reads `manage.py dumpdata auth.user tasks token_blacklist` output: a JSON
 * array of `{model, pk, fields}`. Other models are ignored; a malformed object
 * stops the import with its model and pk named.
 */
const date = z.iso.datetime({ offset: true, local: true }).transform((text) => new Date(text));
const id = z.number().int().positive();

const user = z.object({
  username: z.string().min(1).max(150),
  email: z.string().max(254),
  first_name: z.string().max(150),
  last_name: z.string().max(150),
  password: z.string().max(255),
  is_active: z.boolean(),
  is_staff: z.boolean(),
  is_superuser: z.boolean(),
  date_joined: date,
  last_login: date.nullable(),
});
const task = z.object({
  owner: id,
  title: z.string().max(255),
  description: z.string(),
  is_completed: z.boolean(),
  created_at: date,
});
const outstanding = z.object({
  user: id.nullable(),
  jti: z.string().min(1),
  token: z.string(),
  created_at: date.nullable(),
  expires_at: date,
});
const blacklisted = z.object({ token: id, blacklisted_at: date });

const entry = z.object({ model: z.string(), pk: id, fields: z.record(z.string(), z.unknown()) });

export function readDumpdata(text: string, options: { tasksModel?: string; now?: Date } = {}): DjangoData {
  const tasksModel = options.tasksModel ?? "tasks.task";
  const now = options.now ?? new Date();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a dumpdata file: ${(error as Error).message}`);
  }
  const entries = z.array(entry).safeParse(parsed);
  if (!entries.success) throw new Error("not a dumpdata file: expected a JSON array of {model, pk, fields}");

  const data: DjangoData = { users: [], tasks: [], outstanding: [], blacklisted: [], notes: [] };
  for (const { model, pk, fields } of entries.data) {
    const read = <T>(schema: z.ZodType<T>): T => {
      const result = schema.safeParse(fields);
      if (result.success) return result.data;
      const issue = result.error.issues[0];
      throw new Error(`${model} ${pk}: ${issue?.path.join(".") || "fields"}: ${issue?.message}`);
    };
    switch (model.toLowerCase()) {
      case "auth.user": {
        const f = read(user);
        data.users.push({
          id: pk,
          username: f.username,
          email: f.email,
          firstName: f.first_name,
          lastName: f.last_name,
          password: f.password,
          isActive: f.is_active,
          isStaff: f.is_staff,
          isSuperuser: f.is_superuser,
          dateJoined: f.date_joined,
          lastLogin: f.last_login,
        });
        break;
      }
      case tasksModel.toLowerCase(): {
        const f = read(task);
        data.tasks.push({
          id: pk,
          ownerId: f.owner,
          title: f.title,
          description: f.description,
          isCompleted: f.is_completed,
          createdAt: f.created_at,
        });
        break;
      }
      case "token_blacklist.outstandingtoken": {
        const f = read(outstanding);
        if (f.expires_at <= now) break;
        data.outstanding.push({
          id: pk,
          jti: f.jti,
          userId: f.user,
          token: f.user === null ? f.token : null,
          createdAt: f.created_at,
          expiresAt: f.expires_at,
        });
        break;
      }
      case "token_blacklist.blacklistedtoken": {
        const f = read(blacklisted);
        // Revocations of expired tokens find no outstanding row and are dropped by the importer.
        data.blacklisted.push({ outstandingId: f.token, blacklistedAt: f.blacklisted_at });
        break;
      }
    }
  }
  if (data.users.length === 0) data.notes.push("no auth.user objects in this file");
  if (!entries.data.some((e) => e.model.toLowerCase() === tasksModel.toLowerCase())) {
    data.notes.push(`no ${tasksModel} objects: no tasks imported`);
  }
  return data;
}
