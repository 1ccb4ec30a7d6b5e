// What each scenario sends, as plain requests built before the run: one per
// user, user i for connection i (wrk sends them in turn, so at any moment the
// connections act for different users), and for the refresh chains one token
// per session, each used once. S6 writes for other users (`writers`) than those
// whose lists S5 reads (`users`), as ../shared/bench does, so every list stays at 20.
import { PASSWORD } from "./db.mjs";

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
    load: async ({ minter, writers }) => {
      const body = JSON.stringify({ title: "Benchmark task", description: "created by the benchmark" });
      return {
        requests: (await minter.access(writers)).map((token) => ({
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

/**
 * The requests of `scenario` at `connections`: the first half of `userIds`
 * are the readers (user i for connection i), the second half S6's writers.
 */
export function loadFor(scenario, { userIds, ...context }, connections) {
  const half = userIds.length / 2;
  return SCENARIOS[scenario].load({
    ...context,
    users: userIds.slice(0, connections),
    writers: userIds.slice(half, half + connections),
  });
}
