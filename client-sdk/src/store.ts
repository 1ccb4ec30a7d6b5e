import type { AuthEvent, AuthListener, Session } from "./session.js";
import type { User } from "./stored.js";

/** What a UI renders from: loading until the stored session is read, then signed in or out. */
export type AuthState =
  | { status: "loading"; session: null; user: null }
  | { status: "signed-in"; session: Session; user: User | null }
  | {
      status: "signed-out";
      session: null;
      user: null;
      /** Why, when it happened while the app ran: `SIGNED_OUT` (a logout) or `SESSION_EXPIRED`. */
      reason: "SIGNED_OUT" | "SESSION_EXPIRED" | undefined;
    };

/**
 * The session as an external store, for any framework: React's
 * `useSyncExternalStore(store.subscribe, store.getSnapshot)`, Svelte's store
 * contract (`subscribe` calls back at once with the value), a Vue `shallowRef`
 * updated from `subscribe`.
 */
export interface AuthStore {
  /** The state now: the same object until it changes. */
  getSnapshot(): AuthState;
  /** Calls `listener` with the state now, then on every change; returns the unsubscribe function. */
  subscribe(listener: (state: AuthState) => void): () => void;
}

export const LOADING: AuthState = Object.freeze({ status: "loading", session: null, user: null });

export function createAuthStore(onChange: (listener: AuthListener) => () => void): AuthStore {
  let snapshot = LOADING;
  const listeners = new Set<(state: AuthState) => void>();
  onChange((event: AuthEvent, session) => {
    snapshot = session
      ? { status: "signed-in", session, user: session.user }
      : {
          status: "signed-out",
          session: null,
          user: null,
          reason: event === "SIGNED_OUT" || event === "SESSION_EXPIRED" ? event : undefined,
        };
    for (const listener of listeners) listener(snapshot);
  });
  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      listener(snapshot);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
