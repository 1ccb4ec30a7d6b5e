// The Django service's data as the importer needs it, whichever way it was read
// (its PostgreSQL database, or a `manage.py dumpdata` file). Names follow ours.

export interface DjangoUser {
  id: number;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  /** Django's encoded hash (`pbkdf2_sha256$…`, `!…` for unusable). */
  password: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
}

export interface DjangoTask {
  id: number;
  ownerId: number;
  title: string;
  description: string;
  isCompleted: boolean;
  createdAt: Date;
}

/** simplejwt's token_blacklist_outstandingtoken. */
export interface DjangoOutstandingToken {
  id: number;
  jti: string;
  /** NULL for rotated tokens blacklisted later, and after the user was deleted. */
  userId: number | null;
  /** The token's text: the user of a row without one is in its claims. */
  token: string | null;
  createdAt: Date | null;
  expiresAt: Date;
}

/** simplejwt's token_blacklist_blacklistedtoken: a revocation of an outstanding row. */
export interface DjangoBlacklistedToken {
  outstandingId: number;
  blacklistedAt: Date;
}

export interface DjangoData {
  users: DjangoUser[];
  tasks: DjangoTask[];
  outstanding: DjangoOutstandingToken[];
  blacklisted: DjangoBlacklistedToken[];
  /** What the source lacked (e.g. no blacklist app), for the report. */
  notes: string[];
}

/** The `user_id` claim of a token, read without verifying it (it comes from the Django database). */
export function userIdInToken(token: string | null): number | null {
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { user_id?: unknown };
    const id = Number(claims.user_id);
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}
