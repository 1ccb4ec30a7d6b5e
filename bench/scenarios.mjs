// What each scenario sends, as plain requests built before the run: one per
// user, user i for connection i (wrk sends them in turn, so at any moment the
// connections act for different users), and for the refresh chains one token
// per session, each used once.
import { NEW_TASK_DESCRIPTION, PASSWORD } from "./db.mjs";

const JSON_TYPE = { "Content-Type": "application/json" };
const bearer = (token) => ({ Authorization: `Bearer ${token}` });

/**
 * `load(context)` answers `{ requests }` (replayed in turn) or `{ chain }`:
 * refresh tokens, each sent once in `field` of a POST to `path`, whose
 * answers' tokens are sent next (a reuse would revoke the session).
 */
export const SCENARIOS = {
  S1: {
    title: "token obtain",
    load: ({ users }) => ({
      requests: users.map((_, i) => ({
        method: "POST",
        path: "/api/token/",
        headers: JSON_TYPE,
        body: JSON.stringify({ username: `bench${i}`, password: PASSWORD }),
      })),
    }),
  },
  S2: { title: "refresh (rotating chains)", load: refreshChains },
  S3: {
    title: "verify",
    load: async ({ minter, users }) => ({
      requests: (await minter.access(users)).map((token) => ({
        method: "POST",
        path: "/api/token/verify/",
        headers: JSON_TYPE,
        body: JSON.stringify({ token }),
      })),
    }),
  },
  S4: {
    title: "GET profile",
    load: async ({ minter, users }) => ({
      requests: (await minter.access(users)).map((token) => ({
        method: "GET",
        path: "/api/users/profile/",
        headers: bearer(token),
      })),
    }),
  },
  S5: {
    title: "GET task list (20)",
    load: async ({ minter, users }) => ({
      requests: (await minter.access(users)).map((token) => ({
        method: "GET",
        path: "/api/tasks/",
        headers: bearer(token),
      })),
    }),
  },
  S6: {
    title: "POST task",
    load: async ({ minter, users }) => {
      const body = JSON.stringify({ title: "Benchmark task", description: NEW_TASK_DESCRIPTION });
      return {
        requests: (await minter.access(users)).map((token) => ({
          method: "POST",
          path: "/api/tasks/",
          headers: { ...JSON_TYPE, ...bearer(token) },
          body,
        })),
      };
    },
  },
  S7: { title: "refresh, 1M tokens of history", load: refreshChains },
};

/** Two sessions per user: wrk asks for one request more than it has connections before any answer arrives. */
async function refreshChains({ minter, users }) {
  const tokens = await minter.refresh([...users, ...users]);
  return { chain: { tokens, path: "/api/token/refresh/", field: "refresh" } };
}
