import type { Kysely } from "kysely";
import { type TokenRow, upsertTokens } from "../db/django-import/refresh-tokens.js";
import { moveSequence } from "../db/django-import/sequences.js";
import { tasksMadeHere, upsertTasks } from "../db/django-import/tasks.js";
import { clashesWithExisting, upsertUsers } from "../db/django-import/users.js";
import { recordImport } from "../db/repositories/django-imports.js";
import type { Database } from "../db/schema.js";
import { isDjangoHash } from "../services/django-passwords.js";
import { importedFamilyId, importedSessionEnd } from "../services/imported-sessions.js";
import { type DjangoData, type DjangoOutstandingToken, userIdInToken } from "./records.js";

/**
 * Writes the Django service's users, tasks and refresh-token records into our
 * tables, in one transaction: ids kept, rows matched by id, so that a second
 * run updates and never duplicates. Anything that cannot go in as it is stops
 * the import before a row is written, with every problem listed.
 */
export interface ImportOptions {
  /** Shown in the report and kept in django_imports, e.g. the file or the URL without its password. */
  source: string;
  dryRun: boolean;
  /** SESSION_MAX_LIFETIME: imported sessions last as long as a login here would. */
  sessionMaxLifetime: number;
  progress?: (line: string) => void;
}

export interface Counts {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportSummary {
  dryRun: boolean;
  users: Counts;
  tasks: Counts;
  /** Refresh-token records (outstanding, and revoked where Django blacklisted them). */
  tokens: Counts & { revoked: number };
  skipped: { tokensOfUnknownUsers: number; tokensWithLongJti: number };
  /** Users whose hash no verifier here reads (e.g. md5): they need a password reset. By algorithm. */
  unverifiablePasswords: Record<string, number>;
  unusablePasswords: number;
  notes: string[];
}

export class ImportConflictError extends Error {
  constructor(readonly problems: string[]) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : "";
    super(`The import was not started:\n${shown.map((problem) => `  ${problem}`).join("\n")}${more}`);
    this.name = "ImportConflictError";
  }
}

const CHUNK = 1000;
const MAX_JTI_LENGTH = 64;

class DryRun extends Error {
  constructor(readonly summary: ImportSummary) {
    super("dry run");
  }
}

export async function importDjango(
  db: Kysely<Database>,
  data: DjangoData,
  options: ImportOptions,
): Promise<ImportSummary> {
  const problems = validate(data);
  if (problems.length > 0) throw new ImportConflictError(problems);
  const startedAt = new Date();
  const progress = options.progress ?? (() => {});
  try {
    return await db.transaction().execute(async (trx) => {
      const clashes = [...(await clashesWithExisting(trx, data.users)), ...(await tasksMadeHere(trx, data.tasks))];
      if (clashes.length > 0) throw new ImportConflictError(clashes);
      const summary = emptySummary(options.dryRun, data);
      summary.users = await inChunks(data.users, "users", progress, (chunk) => upsertUsers(trx, chunk));
      summary.tasks = await inChunks(data.tasks, "tasks", progress, (chunk) => upsertTasks(trx, chunk));
      const tokens = tokenRows(data, options.sessionMaxLifetime, summary);
      summary.tokens = {
        ...(await inChunks(tokens, "refresh tokens", progress, (chunk) => upsertTokens(trx, chunk))),
        revoked: tokens.filter((token) => token.revokedAt !== null).length,
      };
      await moveSequence(trx, "users");
      await moveSequence(trx, "tasks");
      if (options.dryRun) throw new DryRun(summary);
      await recordImport(trx, { source: options.source, startedAt, summary });
      return summary;
    });
  } catch (error) {
    if (error instanceof DryRun) return error.summary;
    throw error;
  }
}

/** What Django accepted but our schema does not: listed, never silently changed. */
function validate(data: DjangoData): string[] {
  const problems: string[] = [];
  const byEmail = new Map<string, string[]>();
  for (const user of data.users) {
    if (user.email === "") continue;
    const key = user.email.toLowerCase();
    byEmail.set(key, [...(byEmail.get(key) ?? []), user.username]);
  }
  for (const [email, usernames] of byEmail) {
    if (usernames.length > 1) {
      problems.push(`users ${usernames.join(", ")} share the email ${email} (ignoring case); emails are unique here`);
    }
  }
  const userIds = new Set(data.users.map((user) => user.id));
  for (const task of data.tasks) {
    if (task.title.trim() === "") problems.push(`task ${task.id} has a blank title; titles are required here`);
    if (!userIds.has(task.ownerId))
      problems.push(`task ${task.id} belongs to user ${task.ownerId}, who is not imported`);
  }
  return problems;
}

function emptySummary(dryRun: boolean, data: DjangoData): ImportSummary {
  const none = { total: 0, created: 0, updated: 0, unchanged: 0 };
  const unverifiable: Record<string, number> = {};
  let unusable = 0;
  for (const user of data.users) {
    if (user.password.startsWith("!") || user.password === "") unusable += 1;
    else if (!isDjangoHash(user.password)) {
      const algorithm = user.password.split("$")[0] || "unknown";
      unverifiable[algorithm] = (unverifiable[algorithm] ?? 0) + 1;
    }
  }
  return {
    dryRun,
    users: none,
    tasks: none,
    tokens: { ...none, revoked: 0 },
    skipped: { tokensOfUnknownUsers: 0, tokensWithLongJti: 0 },
    unverifiablePasswords: unverifiable,
    unusablePasswords: unusable,
    notes: [...data.notes],
  };
}

async function inChunks<T>(
  rows: T[],
  label: string,
  progress: (line: string) => void,
  write: (chunk: T[]) => Promise<{ created: number; updated: number }>,
): Promise<Counts> {
  const counts: Counts = { total: rows.length, created: 0, updated: 0, unchanged: 0 };
  for (let start = 0; start < rows.length; start += CHUNK) {
    const { created, updated } = await write(rows.slice(start, start + CHUNK));
    counts.created += created;
    counts.updated += updated;
    progress(`${label}: ${Math.min(start + CHUNK, rows.length)}/${rows.length}`);
  }
  counts.unchanged = counts.total - counts.created - counts.updated;
  return counts;
}

/**
 * One session per outstanding token (simplejwt has no sessions). A row with no
 * user (a rotated token blacklisted later) names its user in the token's claims.
 */
function tokenRows(data: DjangoData, sessionMaxLifetime: number, summary: ImportSummary): TokenRow[] {
  const userIds = new Set(data.users.map((user) => user.id));
  const revokedAt = new Map(data.blacklisted.map((entry) => [entry.outstandingId, entry.blacklistedAt]));
  const rows: TokenRow[] = [];
  const seen = new Set<string>();
  for (const token of data.outstanding) {
    const userId = ownerOf(token);
    if (userId === null || !userIds.has(userId)) {
      summary.skipped.tokensOfUnknownUsers += 1;
      continue;
    }
    if (token.jti.length > MAX_JTI_LENGTH) {
      summary.skipped.tokensWithLongJti += 1;
      continue;
    }
    if (seen.has(token.jti)) continue;
    seen.add(token.jti);
    const createdAt = token.createdAt ?? revokedAt.get(token.id) ?? token.expiresAt;
    rows.push({
      jti: token.jti,
      userId,
      familyId: importedFamilyId(token.jti),
      createdAt,
      expiresAt: token.expiresAt,
      sessionEnd: importedSessionEnd(createdAt, token.expiresAt, sessionMaxLifetime),
      revokedAt: revokedAt.get(token.id) ?? null,
    });
  }
  return rows;
}

const ownerOf = (token: DjangoOutstandingToken) => token.userId ?? userIdInToken(token.token);
