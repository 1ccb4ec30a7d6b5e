import type { AuthEvent } from "@jwt-auth/client";
import { useEffect, useState } from "react";
import { client } from "./auth";

/** The session's events as this tab hears them: logins, refreshes and logouts of every tab. */
export function EventLog() {
  const [events, setEvents] = useState<Array<{ at: string; event: AuthEvent }>>([]);
  useEffect(
    () =>
      client.session.onChange((event) =>
        setEvents((list) => [...list, { at: new Date().toLocaleTimeString(), event }]),
      ),
    [],
  );
  return (
    <aside>
      <h2>Session events</h2>
      <ol aria-label="Session events">
        {events.map(({ at, event }, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the log only grows
          <li key={index}>
            <time>{at}</time> <code>{event}</code>
          </li>
        ))}
      </ol>
    </aside>
  );
}
