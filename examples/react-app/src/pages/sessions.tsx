import type { Procedures } from "@jwt-auth/client";
import { useCallback, useEffect, useState } from "react";
import { client } from "../auth";
import { ErrorMessage } from "../errors";

type SessionRow = Procedures["user.sessions"]["output"][number];

/** The user's live sessions (devices), one ended at a time or all at once. */
export function SessionsPage() {
  const [sessions, setSessions] = useState<SessionRow[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const reload = useCallback(async () => {
    try {
      setSessions(await client.user.sessions());
    } catch (failure) {
      setError(failure);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  const end = async (id: string) => {
    try {
      await client.user.revokeSession({ id });
      await reload();
    } catch (failure) {
      setError(failure);
    }
  };
  const everywhere = async () => {
    try {
      await client.user.revokeAllSessions();
      // This session was one of them: the server has ended it; forget it here and in every tab.
      await client.session.logout();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section>
      <h1>Where you are signed in</h1>
      <ErrorMessage error={error} />
      {sessions === undefined ? (
        <p>Loading sessions…</p>
      ) : (
        <table aria-label="Sessions">
          <thead>
            <tr>
              <th>Device</th>
              <th>Address</th>
              <th>Signed in</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <tr key={session.id}>
                <td>{session.user_agent ?? "unknown"}</td>
                <td>{session.ip ?? ""}</td>
                <td>{new Date(session.created_at).toLocaleString()}</td>
                <td>{new Date(session.last_used_at).toLocaleString()}</td>
                <td>
                  {session.current ? (
                    <strong>this device</strong>
                  ) : (
                    <button type="button" onClick={() => void end(session.id)}>
                      End
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" onClick={() => void everywhere()}>
        Log out everywhere
      </button>
    </section>
  );
}
