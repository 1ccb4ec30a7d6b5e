import type { KyselyPlugin } from "kysely";
import type { Executor } from "../../server/db/connect.js";

/** `db` with a plugin that counts the statements that reach the database (reset `counter.statements` at will). */
export function countingStatements<D extends Executor>(db: D) {
  const counter = { statements: 0 };
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => {
      counter.statements += 1;
      return result;
    },
  };
  return { db: db.withPlugin(plugin) as D, counter };
}
