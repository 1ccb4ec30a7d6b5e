import { createContext, createElement, type ReactNode, useContext, useSyncExternalStore } from "react";
import type { Client } from "./client.js";
import { type AuthState, LOADING } from "./store.js";
import type { User } from "./stored.js";

// React bindings: `@jwt-auth/client/react`. Built on the client's store, so the
// session renders the same in every component and every tab.

const ClientContext = createContext<Client | null>(null);

export interface AuthProviderProps {
  client: Client;
  children?: ReactNode;
}

/** Makes `client` the one the hooks below use. */
export function AuthProvider({ client, children }: AuthProviderProps) {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The client of the nearest AuthProvider. */
export function useAuthClient(): Client {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useAuthClient, useSession and useUser need an <AuthProvider client={…}> above them");
  return client;
}

/**
 * The session's state: `loading` until the stored session is read (and, in
 * server rendering, always), then `signed-in` with the session and user, or
 * `signed-out`. Re-renders on every change, in this tab or another.
 */
export function useSession(): AuthState {
  const { store } = useAuthClient();
  return useSyncExternalStore(store.subscribe, store.getSnapshot, () => LOADING);
}

/** Who is signed in; null while loading or signed out. */
export function useUser(): User | null {
  return useSession().user;
}

export type { AuthState, User };
