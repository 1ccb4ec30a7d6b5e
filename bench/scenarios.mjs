// What each scenario sends. Connection i acts as user i, so that no two
// connections contend for one user's rows.
import autocannon from "autocannon";
import { NEW_TASK_DESCRIPTION, PASSWORD } from "./db.mjs";

const JSON_BODY = { "content-type": "application/json" };
const bearer = (token) => ({ authorization: `Bearer ${token}` });

/**
 * Each scenario's `requests(context)` answers a function from the connection
 * index to that connection's autocannon request (fresh tokens every run).
 */
export const SCENARIOS = {
  S1: {
    title: "token obtain",
    requests: () => (i) => ({
      method: "POST",
      path: "/api/token/",
      headers: JSON_BODY,
      body: JSON.stringify({ username: `bench${i}`, password: PASSWORD }),
    }),
  },
  S2: { title: "refresh (rotating chains)", requests: refreshChains },
  S3: {
    title: "verify",
    async requests({ minter, users }) {
      const tokens = await minter.access(users);
      return (i) => ({
        method: "POST",
        path: "/api/token/verify/",
        headers: JSON_BODY,
        body: JSON.stringify({ token: tokens[i] }),
      });
    },
  },
  S4: {
    title: "GET profile",
    async requests({ minter, users }) {
      const tokens = await minter.access(users);
      return (i) => ({ method: "GET", path: "/api/users/profile/", headers: bearer(tokens[i]) });
    },
  },
  S5: {
    title: "GET task list (20)",
    async requests({ minter, users }) {
      const tokens = await minter.access(users);
      return (i) => ({ method: "GET", path: "/api/tasks/", headers: bearer(tokens[i]) });
    },
  },
  S6: {
    title: "POST task",
    async requests({ minter, users }) {
      const tokens = await minter.access(users);
      const body = JSON.stringify({ title: "Benchmark task", description: NEW_TASK_DESCRIPTION });
      return (i) => ({ method: "POST", path: "/api/tasks/", headers: { ...JSON_BODY, ...bearer(tokens[i]) }, body });
    },
  },
  S7: { title: "refresh, 1M tokens of history", requests: refreshChains },
};

/**
 * Every connection rotates its own session: each response's refresh token is
 * the next request's, so no token is ever presented twice (a reuse would revoke
 * the family and turn the rest of the chain into 401s).
 */
async function refreshChains({ minter, users }) {
  const first = await minter.refresh(users);
  return (i) => {
    let token = first[i];
    return {
      method: "POST",
      path: "/api/token/refresh/",
      headers: JSON_BODY,
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ refresh: token }) }),
      onResponse: (status, body) => {
        if (status === 200) token = JSON.parse(body).refresh;
      },
    };
  };
}

const running = new Set();

/**
 * One autocannon run; connection i sends `requestFor(i)`. Answers autocannon's
 * result and the first non-2xx response seen, for the error message.
 */
export async function drive(url, requestFor, connections, duration) {
  let nextConnection = 0;
  let firstFailure;
  const instance = autocannon({
    url,
    connections,
    duration,
    timeout: 30,
    setupClient(client) {
      const request = requestFor(nextConnection++);
      client.setRequests([
        {
          ...request,
          onResponse(status, body, context) {
            if ((status < 200 || status > 299) && !firstFailure) firstFailure = `${status} ${body.slice(0, 300)}`;
            request.onResponse?.(status, body, context);
          },
        },
      ]);
    },
  });
  running.add(instance);
  try {
    return { result: await instance, firstFailure };
  } finally {
    running.delete(instance);
  }
}

export const stopLoad = () => {
  for (const instance of running) instance.stop();
};
