import { randomBytes } from "node:crypto";
import type { Client } from "../client-info.js";
import {
  type AdminSessionRow,
  deleteAdminSession,
  findAdminSession,
  insertAdminSession,
} from "../db/repositories/admin-sessions.js";
import type { User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";

// Console sessions: a random token in the cookie, its hash in admin_sessions.

type SessionDeps = Pick<Deps, "db" | "secrets" | "config">;

/** Time to give the second factor after the password. */
export const SECOND_FACTOR_SECONDS = 300;

export interface StartedSession {
  token: string;
  lifetimeSeconds: number;
}

export async function startAdminSession(
  deps: SessionDeps,
  user: User,
  client: Client,
  awaitingSecondFactor: boolean,
): Promise<StartedSession> {
  const token = randomBytes(32).toString("base64url");
  const lifetimeSeconds = awaitingSecondFactor ? SECOND_FACTOR_SECONDS : deps.config.admin.sessionLifetime;
  await insertAdminSession(deps.db, {
    tokenHash: deps.secrets.tokenDigest(token),
    userId: user.id,
    awaitingSecondFactor,
    lifetimeSeconds,
    ...client,
  });
  return { token, lifetimeSeconds };
}

export const findSession = (deps: SessionDeps, token: string): Promise<AdminSessionRow | undefined> =>
  findAdminSession(deps.db, deps.secrets.tokenDigest(token));

export const endAdminSession = (deps: SessionDeps, token: string): Promise<boolean> =>
  deleteAdminSession(deps.db, deps.secrets.tokenDigest(token));
