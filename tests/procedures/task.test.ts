import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createContext } from "../../server/context.js";
import type { Task } from "../../server/contracts/task.js";
import { normalise } from "../../server/errors.js";
import { createCaller } from "../../server/routers/app.js";
import { useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { signUp } from "../helpers/users.js";

const app = useTestApp();

async function twoUsers() {
  const alice = await signUp(app());
  const bob = await signUp(app());
  return { alice: app().caller(alice.authorization), bob: app().caller(bob.authorization), aliceId: alice.user.id };
}

const row = (id: number) => app().db.db.selectFrom("tasks").selectAll().where("id", "=", id).executeTakeFirst();

describe("task procedures", () => {
  it("create, read, update, patch and remove the caller's own task", async () => {
    const { alice, aliceId } = await twoUsers();
    const task = await alice.task.create({ title: "  Write the report ", description: "by Friday" });
    expect(task).toEqual({
      id: expect.any(Number),
      title: "Write the report",
      description: "by Friday",
      is_completed: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/),
      owner: aliceId,
    });
    expect(await alice.task.byId({ id: task.id })).toEqual(task);

    const replaced = await alice.task.update({ id: task.id, title: "Report, final" });
    expect(replaced).toMatchObject({ title: "Report, final", description: "by Friday", is_completed: false });
    const patched = await alice.task.patch({ id: task.id, is_completed: true });
    expect(patched).toMatchObject({ title: "Report, final", is_completed: true, created_at: task.created_at });
    const stored = await row(task.id);
    expect(stored?.updated_at.getTime()).toBeGreaterThanOrEqual(stored?.created_at.getTime() ?? 0);

    expect(await alice.task.list()).toEqual([patched]);
    expect(await alice.task.remove({ id: task.id })).toEqual({});
    expect(await row(task.id)).toBeUndefined();
    expect((await appError(alice.task.remove({ id: task.id }))).code).toBe("not_found");
  });

  it("answers not_found for another user's task in every verb, and leaves it unchanged", async () => {
    const { alice, bob } = await twoUsers();
    const task = await alice.task.create({ title: "Private", description: "mine" });
    const before = await row(task.id);
    const attempts = [
      bob.task.byId({ id: task.id }),
      bob.task.update({ id: task.id, title: "stolen" }),
      bob.task.patch({ id: task.id, is_completed: true }),
      bob.task.remove({ id: task.id }),
    ];
    for (const error of await Promise.all(attempts.map(appError))) {
      expect([error.code, error.message, error.status]).toEqual(["not_found", "Not found.", 404]);
    }
    expect(await row(task.id)).toEqual(before);
    expect(await bob.task.list()).toEqual([]);
    expect(await bob.task.page({ limit: 10 })).toEqual({ count: 0, limit: 10, offset: 0, results: [] });
  });

  it("validates titles, descriptions and flags with DRF's messages", async () => {
    const { alice } = await twoUsers();
    const fields = async (input: unknown) => (await appError(alice.task.create(input as never))).fields;
    expect(await fields({})).toEqual({ title: ["This field is required."] });
    expect(await fields({ title: "   " })).toEqual({ title: ["This field may not be blank."] });
    expect(await fields({ title: "x".repeat(256) })).toEqual({
      title: ["Ensure this field has no more than 255 characters."],
    });
    expect(await fields({ title: null })).toEqual({ title: ["This field may not be null."] });
    expect(await fields({ title: "ok", description: null })).toEqual({ description: ["This field may not be null."] });
    expect(await fields({ title: "ok", is_completed: "yes" })).toEqual({ is_completed: ["Must be a valid boolean."] });
    expect(await fields({ title: "a\u0000b" })).toEqual({ title: ["Null characters are not allowed."] });
    expect((await alice.task.create({ title: "x".repeat(255), description: "y".repeat(100_000) })).title).toHaveLength(
      255,
    );
    const task = await alice.task.create({ title: "t" });
    const put = await appError(alice.task.update({ id: task.id } as never));
    expect(put.fields).toEqual({ title: ["This field is required."] });
    expect(await alice.task.patch({ id: task.id })).toMatchObject({ title: "t" });
  });

  it("filters, searches (literally) and orders by allow-listed fields only", async () => {
    const { alice } = await twoUsers();
    const a = await alice.task.create({ title: "banana 100%" });
    const b = await alice.task.create({ title: "Apple_pie", is_completed: true });
    const c = await alice.task.create({ title: "cherry" });
    const ids = (tasks: Task[]) => tasks.map((task) => task.id);
    expect(ids(await alice.task.list())).toEqual([a.id, b.id, c.id]);
    expect(ids(await alice.task.list({ ordering: "title" }))).toEqual([b.id, a.id, c.id]);
    expect(ids(await alice.task.list({ ordering: "-title" }))).toEqual([c.id, a.id, b.id]);
    expect(ids(await alice.task.list({ ordering: "-created_at" }))).toEqual([c.id, b.id, a.id]);
    expect(ids(await alice.task.list({ is_completed: true }))).toEqual([b.id]);
    expect(ids(await alice.task.list({ is_completed: false, ordering: "-title" }))).toEqual([c.id, a.id]);
    expect(ids(await alice.task.list({ search: "APPLE" }))).toEqual([b.id]);
    expect(ids(await alice.task.list({ search: "%" }))).toEqual([a.id]);
    expect(ids(await alice.task.list({ search: "_" }))).toEqual([b.id]);
    expect(ids(await alice.task.list({ search: "" }))).toEqual([a.id, b.id, c.id]);
    for (const ordering of ["id", "owner_id", "title; drop table tasks", "-password_hash", "title,,x"]) {
      const error = await appError(alice.task.list({ ordering }));
      expect([ordering, error.code, Object.keys(error.fields ?? {})]).toEqual([
        ordering,
        "validation_failed",
        ["ordering"],
      ]);
    }
  });

  it("pages with limits and offsets, including past the end", async () => {
    const { alice } = await twoUsers();
    for (let i = 0; i < 7; i += 1) await alice.task.create({ title: `task ${i}` });
    const first = await alice.task.page({ limit: 3 });
    expect([first.count, first.limit, first.offset, first.results.length]).toEqual([7, 3, 0, 3]);
    const last = await alice.task.page({ limit: 3, offset: 6 });
    expect(last.results.map((task) => task.title)).toEqual(["task 6"]);
    expect(await alice.task.page({ limit: 3, offset: 70 })).toEqual({ count: 7, limit: 3, offset: 70, results: [] });
    expect((await alice.task.page({})).limit).toBe(20);
    expect((await alice.task.page({ limit: 100 })).results).toHaveLength(7);
    for (const bad of [{ limit: 0 }, { limit: 101 }, { limit: 1.5 }, { offset: -1 }]) {
      const error = await appError(alice.task.page(bad));
      expect(error.code).toBe("validation_failed");
    }
  });

  it("a user only ever sees their own tasks, each exactly once, under any filters, ordering and pages", async () => {
    const users = await Promise.all([signUp(app()), signUp(app()), signUp(app())]);
    const callers = users.map((user) => app().caller(user.authorization));
    const titles = ["alpha", "Beta", "gamma 50%", "delta_x", "alpha two", "ALPHA", "omega"];
    const owned = new Map<number, Task[]>();
    for (const [index, caller] of callers.entries()) {
      const tasks: Task[] = [];
      for (let i = 0; i < 9 + index * 3; i += 1) {
        tasks.push(
          await caller.task.create({ title: titles[(i + index) % titles.length] ?? "t", is_completed: i % 3 === 0 }),
        );
      }
      owned.set(index, tasks);
    }

    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: callers.length - 1 }),
        fc.option(fc.boolean(), { nil: undefined }),
        fc.option(fc.constantFrom("alpha", "a", "%", "_", "ALPHA", "zzz"), { nil: undefined }),
        fc.subarray(["created_at", "-created_at", "title", "-title"]),
        fc.integer({ min: 1, max: 5 }),
        async (who, isCompleted, search, ordering, limit) => {
          const caller = callers[who];
          if (!caller) return false;
          const query = { is_completed: isCompleted, search, ordering: ordering.join(",") || undefined };
          const seen: Task[] = [];
          let count = -1;
          for (let offset = 0; ; offset += limit) {
            const page = await caller.task.page({ ...query, limit, offset });
            count = page.count;
            seen.push(...page.results);
            if (page.results.length < limit) break;
          }
          const mine = new Set((owned.get(who) ?? []).map((task) => task.id));
          const expected = (owned.get(who) ?? []).filter(
            (task) =>
              (isCompleted === undefined || task.is_completed === isCompleted) &&
              (!search || task.title.toLowerCase().includes(search.toLowerCase())),
          );
          const ids = seen.map((task) => task.id);
          const listed = await caller.task.list(query);
          return (
            ids.every((id) => mine.has(id)) &&
            new Set(ids).size === ids.length &&
            ids.length === expected.length &&
            count === expected.length &&
            JSON.stringify(listed.map((task) => task.id)) === JSON.stringify(ids)
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the token's user, checked inside the task's own statement", () => {
  /** A caller whose database counts the statements it runs. */
  function countingCaller(authorization: string) {
    const counter = { statements: 0 };
    // Results, not transformations: a nested builder is transformed too, but runs inside its statement.
    const db = app().app.deps.db.withPlugin({
      transformQuery: ({ node }) => node,
      transformResult: async ({ result }) => {
        counter.statements += 1;
        return result;
      },
    });
    return { counter, caller: createCaller(createContext({ ...app().app.deps, db }, { authorization })) };
  }

  const setUser = (id: number, changes: { is_active?: boolean; token_version?: number }) =>
    app().db.db.updateTable("users").set(changes).where("id", "=", id).execute();

  it("costs one statement per call: byId, create, update, patch and remove", async () => {
    const alice = await signUp(app());
    const { counter, caller } = countingCaller(alice.authorization);
    const calls: [string, () => Promise<unknown>][] = [];
    const task = await caller.task.create({ title: "One round trip" });
    calls.push(["create", async () => task]);
    calls.push(["byId", () => caller.task.byId({ id: task.id })]);
    calls.push(["update", () => caller.task.update({ id: task.id, title: "Still one" })]);
    calls.push(["patch", () => caller.task.patch({ id: task.id, is_completed: true })]);
    calls.push(["remove", () => caller.task.remove({ id: task.id })]);
    const counts: [string, number][] = [["create", counter.statements]];
    for (const [name, call] of calls.slice(1)) {
      counter.statements = 0;
      await call();
      counts.push([name, counter.statements]);
    }
    expect(counts).toEqual(calls.map(([name]) => [name, 1]));
  });

  it("refuses a deactivated user as authentication does, changes nothing, and that error wins over bad input", async () => {
    const alice = await signUp(app());
    const caller = app().caller(alice.authorization);
    const task = await caller.task.create({ title: "Before" });
    await setUser(alice.user.id, { is_active: false });
    const expected = await appError(caller.user.me());
    expect(expected.code).toBe("user_inactive");
    const attempts = [
      caller.task.create({ title: "After" }),
      caller.task.byId({ id: task.id }),
      caller.task.update({ id: task.id, title: "Changed" }),
      caller.task.patch({ id: task.id, is_completed: true }),
      caller.task.remove({ id: task.id }),
      caller.task.create({ title: "" }),
      caller.task.byId({ id: task.id + 1_000_000 }),
    ];
    for (const error of await Promise.all(attempts.map(appError))) {
      expect([error.code, error.message, error.status]).toEqual([expected.code, expected.message, expected.status]);
    }
    const stored = await app()
      .db.db.selectFrom("tasks")
      .select(["title", "is_completed"])
      .where("owner_id", "=", alice.user.id)
      .execute();
    expect(stored).toEqual([{ title: "Before", is_completed: false }]);
  });

  it("answers as authentication does in every state of the token's user and session", async () => {
    // The same states fed to both halves of the rule: `acceptsToken` read as a column by authentication
    // (user.me) and used as the condition of the task's own statement (task.create).
    const outcome = (call: Promise<unknown>) =>
      call.then(
        () => "accepted",
        (error: unknown) => normalise(error).code,
      );
    const sessionOf = (access: string) =>
      (JSON.parse(Buffer.from(access.split(".")[1] ?? "", "base64url").toString()) as { jti: string }).jti.slice(0, 24);
    const states: Array<[string, (user: { id: number }, access: string) => Promise<unknown>, string]> = [
      ["live", async () => {}, "accepted"],
      ["every token revoked", (user) => setUser(user.id, { token_version: 7 }), "token_not_valid"],
      [
        "its session ended",
        (_user, access) =>
          app()
            .db.db.updateTable("refresh_families")
            .set({ revoked_at: new Date() })
            .where("id", "=", sessionOf(access))
            .execute(),
        "token_not_valid",
      ],
      [
        "its session past its lifetime",
        (_user, access) =>
          app()
            .db.db.updateTable("refresh_families")
            .set({ expires_at: new Date(Date.now() - 1000) })
            .where("id", "=", sessionOf(access))
            .execute(),
        "token_not_valid",
      ],
      ["deactivated", (user) => setUser(user.id, { is_active: false }), "user_inactive"],
      ["deleted", (user) => app().db.db.deleteFrom("users").where("id", "=", user.id).execute(), "user_not_found"],
    ];
    for (const [state, enter, expected] of states) {
      const alice = await signUp(app());
      await enter(alice.user, alice.tokens.access);
      const caller = app().caller(alice.authorization);
      const me = await outcome(caller.user.me());
      const created = await outcome(caller.task.create({ title: state }));
      expect([state, me, created]).toEqual([state, expected, expected]);
    }
  });
});
