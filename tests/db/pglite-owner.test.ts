import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { connectDatabase, type DatabaseHandle } from "../../server/db/connect.js";
import { PgliteSession } from "../../server/db/pglite/session.js";
import { serveOverSocket } from "../../server/db/pglite/wire-server.js";

// The owner's socket shares PGlite's one session with the owner's own
// statements; nobody's statement may run inside someone else's transaction.

let dir: string;
let owner: DatabaseHandle;
let client: DatabaseHandle;
let socketPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "owner-socket-"));
  owner = await connectDatabase({ url: undefined, pgliteDir: dir, opener: { role: "server", title: "test owner" } });
  // In this same process, as a `manage` command would from another one.
  client = await connectDatabase({ url: undefined, pgliteDir: dir, opener: { role: "client", title: "test client" } });
  await sql`create table counter (id int primary key, value int not null);
    create table notes (id serial primary key, body text not null);
    insert into counter values (1, 0)`.execute(owner.db);
  socketPath = join(dir, ".s.PGSQL.5432");
});
afterAll(async () => {
  await client?.close();
  await owner?.close();
  rmSync(dir, { recursive: true, force: true });
});

const notes = async () =>
  (await sql<{ body: string }>`select body from notes order by id`.execute(owner.db)).rows.map((row) => row.body);

const rawClient = async (options: pg.ClientConfig = {}) => {
  const connection = new pg.Client({ host: dir, port: 5432, user: "postgres", database: "postgres", ...options });
  // A connection the test cuts (or the server ends) reports it here too.
  connection.on("error", () => {});
  await connection.connect();
  return connection;
};

describe("the owner's socket", () => {
  it("is how a second opener of the folder reaches it", () => {
    expect([owner.via, client.via]).toEqual(["directory", "owner"]);
  });

  it("a client's transaction holds the session: the owner's statements wait for it and never join it", async () => {
    await sql`delete from notes`.execute(owner.db);
    const socket = await rawClient();
    try {
      await socket.query("begin");
      await socket.query("insert into notes (body) values ('client, rolled back')");
      let ownerDone = false;
      const ownerInsert = sql`insert into notes (body) values ('owner')`
        .execute(owner.db)
        .then(() => (ownerDone = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(ownerDone).toBe(false);
      await socket.query("rollback");
      await ownerInsert;
      expect(await notes()).toEqual(["owner"]);
    } finally {
      await socket.end();
    }
  });

  it("the owner's transaction holds the session: a client's statement waits, and survives the owner's rollback", async () => {
    await sql`delete from notes`.execute(owner.db);
    let clientInsert: Promise<unknown> | undefined;
    await expect(
      owner.db.transaction().execute(async (trx) => {
        await sql`insert into notes (body) values ('owner, rolled back')`.execute(trx);
        clientInsert = sql`insert into notes (body) values ('client')`.execute(client.db);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await clientInsert;
    expect(await notes()).toEqual(["client"]);
  });

  it("counts right under dozens of parallel transactions from both sides", async () => {
    const increment = (handle: DatabaseHandle) =>
      handle.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ value: number }>`select value from counter where id = 1`.execute(trx);
        await sql`update counter set value = ${(rows[0]?.value ?? 0) + 1} where id = 1`.execute(trx);
      });
    const sockets = await Promise.all(Array.from({ length: 4 }, () => rawClient()));
    try {
      const before = (await sql<{ value: number }>`select value from counter`.execute(owner.db)).rows[0]?.value ?? 0;
      await Promise.all([
        ...Array.from({ length: 30 }, () => increment(owner)),
        ...Array.from({ length: 15 }, () => increment(client)),
        ...sockets.map(async (socket) => {
          for (let i = 0; i < 5; i += 1) await socket.query("update counter set value = value + 1 where id = 1");
        }),
      ]);
      const after = (await sql<{ value: number }>`select value from counter`.execute(owner.db)).rows[0]?.value;
      expect(after).toBe(before + 30 + 15 + 4 * 5);
    } finally {
      await Promise.all(sockets.map((socket) => socket.end()));
    }
  });

  it("what a client sets, in its startup or with SET, ends with its transaction", async () => {
    const socket = await rawClient({ options: "-c search_path=nowhere" });
    try {
      expect((await socket.query("show search_path")).rows).toEqual([{ search_path: "public" }]);
      await socket.query("set search_path = nowhere");
      expect((await socket.query("show search_path")).rows).toEqual([{ search_path: "public" }]);
      expect(await notes()).toBeInstanceOf(Array);
    } finally {
      await socket.end();
    }
  });

  it("a client that goes away in a transaction has it rolled back, and frees the session", async () => {
    await sql`delete from notes`.execute(owner.db);
    const socket = await rawClient();
    await socket.query("begin");
    await socket.query("insert into notes (body) values ('abandoned')");
    socket.connection.stream.destroy();
    await sql`insert into notes (body) values ('owner')`.execute(owner.db);
    expect(await notes()).toEqual(["owner"]);
  });

  it("is for this user only", async () => {
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
  });
});

describe("a client idle in a transaction", () => {
  it("is disconnected after the idle limit, its transaction rolled back, and the session goes on", async () => {
    const pglite = await PGlite.create("memory://");
    await pglite.exec("create table t (v text)");
    const session = new PgliteSession();
    const socketDir = mkdtempSync(join(tmpdir(), "idle-socket-"));
    onTestFinished(() => rmSync(socketDir, { recursive: true, force: true }));
    const path = join(socketDir, ".s.PGSQL.5432");
    const errors: unknown[] = [];
    const server = await serveOverSocket(pglite, session, path, {
      idleInTransactionMs: 200,
      onError: (error) => errors.push(error),
    });
    try {
      const socket = new pg.Client({ host: join(path, ".."), port: 5432, user: "postgres" });
      const ended = new Promise((resolve) => socket.on("error", resolve));
      await socket.connect();
      await socket.query("begin");
      await socket.query("insert into t values ('idle')");
      const error = (await ended) as { code?: string };
      expect(error.code).toBe("25P03");
      const release = await session.acquire();
      try {
        expect((await pglite.query("select count(*)::int as n from t")).rows).toEqual([{ n: 0 }]);
      } finally {
        release();
      }
      expect(errors).toEqual([]);
    } finally {
      await server.close();
      await pglite.close();
    }
  });
});
