import {
  createContext,
  createElement,
  type ReactNode,
  useCallback,
  useContext,
  useState,
  useSyncExternalStore,
} from "react";
import type { Client } from "./client.js";
import { isMfaRequired, type MfaChallenge } from "./errors.js";
import type { Procedures } from "./generated/api.js";
import type { Session } from "./session.js";
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

/** The second step without its ticket, which `useLogin` keeps. */
export type SecondStep = Omit<Procedures["auth.completeMfa"]["input"], "mfa_token">;

export interface LoginFlow {
  /** Set while the server waits for the second factor: the methods to offer. */
  challenge: MfaChallenge | null;
  /** The password step: a session, or null when a second factor is needed (then `challenge` is set). */
  login(input: Procedures["auth.obtainToken"]["input"]): Promise<Session | null>;
  /** The second step with the kept ticket: a TOTP code, a recovery code or a passkey assertion. */
  complete(step: SecondStep): Promise<Session>;
  /** Back to the password step (the ticket expires on its own). */
  cancel(): void;
}

/**
 * A login form's state machine: the password, then, for accounts with a
 * second factor, the code or passkey, with the ticket kept between the two.
 */
export function useLogin(): LoginFlow {
  const client = useAuthClient();
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const login = useCallback(
    async (input: Procedures["auth.obtainToken"]["input"]) => {
      try {
        const session = await client.session.login(input);
        setChallenge(null);
        return session;
      } catch (error) {
        if (!isMfaRequired(error)) throw error;
        setChallenge(error.mfa);
        return null;
      }
    },
    [client],
  );
  const complete = useCallback(
    async (step: SecondStep) => {
      if (!challenge) throw new Error("useLogin: complete() comes after a login() that asked for a second factor");
      const session = await client.session.completeMfa({ ...step, mfa_token: challenge.mfa_token });
      setChallenge(null);
      return session;
    },
    [client, challenge],
  );
  const cancel = useCallback(() => setChallenge(null), []);
  return { challenge, login, complete, cancel };
}

export type { AuthState, User };
