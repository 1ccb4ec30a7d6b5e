import { tokenClaims } from "./jwt.js";
import type { Stored } from "./stored.js";

export type { User } from "./stored.js";

export interface Session {
  access: string;
  /** Token mode only: in cookie mode the refresh token lives in an HttpOnly cookie. */
  refresh: string | undefined;
  /** When the access token expires, in milliseconds since the epoch (its `exp` claim). */
  accessExpiresAt: number | undefined;
  /** The access token's lifetime in milliseconds (`exp - iat`). */
  accessLifetime: number | undefined;
  /** The signed-in user's id (the token's `user_id` claim). */
  userId: number | undefined;
  /** Who is signed in: the profile read at sign-in (`user.me`), kept with the session; null if it could not be read. */
  user: Stored["user"];
}

/**
 * - `INITIAL_SESSION`: the stored session (or none) once loaded; each listener gets it first.
 * - `SIGNED_IN`: a login, an OTP login, or `session.set`.
 * - `TOKEN_REFRESHED`: the tokens were rotated.
 * - `USER_UPDATED`: the profile kept with the session changed.
 * - `SIGNED_OUT`: logout.
 * - `SESSION_EXPIRED`: the server refused the session for good (expired, revoked, the user
 *   deactivated or deleted); it was cleared.
 *
 * Every tab of the origin hears the same events (see `crossTab`).
 */
export type AuthEvent =
  | "INITIAL_SESSION"
  | "SIGNED_IN"
  | "TOKEN_REFRESHED"
  | "USER_UPDATED"
  | "SIGNED_OUT"
  | "SESSION_EXPIRED";
export type AuthListener = (event: AuthEvent, session: Session | null) => void;

/** The events one tab tells the others. */
export type TabEvent = Exclude<AuthEvent, "INITIAL_SESSION">;
export const TAB_EVENTS: ReadonlySet<string> = new Set<TabEvent>([
  "SIGNED_IN",
  "TOKEN_REFRESHED",
  "USER_UPDATED",
  "SIGNED_OUT",
  "SESSION_EXPIRED",
]);

export function toSession(stored: Stored): Session {
  const { expiresAt, issuedAt, userId } = tokenClaims(stored.access);
  return {
    access: stored.access,
    refresh: stored.refresh,
    accessExpiresAt: expiresAt,
    accessLifetime: expiresAt !== undefined && issuedAt !== undefined ? expiresAt - issuedAt : undefined,
    userId,
    user: stored.user,
  };
}

/** The session's listeners: each hears INITIAL_SESSION first, then every event; one's failure is its own. */
export class Listeners {
  private readonly listeners = new Set<AuthListener>();
  private initial: { session: Session | null } | undefined;

  add(listener: AuthListener): () => void {
    this.listeners.add(listener);
    const initial = this.initial;
    if (initial) {
      queueMicrotask(() => {
        if (this.listeners.has(listener)) call(listener, "INITIAL_SESSION", initial.session);
      });
    }
    return () => this.listeners.delete(listener);
  }

  emit(event: AuthEvent, session: Session | null): void {
    // Who subscribes later hears the session as it stands then, not as it was loaded.
    if (event === "INITIAL_SESSION" || this.initial) this.initial = { session };
    for (const listener of this.listeners) call(listener, event, session);
  }
}

function call(listener: AuthListener, event: AuthEvent, session: Session | null): void {
  try {
    listener(event, session);
  } catch {
    // A listener's failure is its own; the others still hear the event.
  }
}
