import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { client, http, rawRequest } from "../helpers/http.js";
import { signUp } from "../helpers/users.js";

const app = useTestApp();
const api = client(() => app().url);

async function user() {
  const { tokens, user } = await signUp(app());
  return { token: tokens.access, id: user.id };
}

const NOT_FOUND = { detail: "Not found." };

describe("/api/tasks/ (the Django service's TaskViewSet)", () => {
  it("creates a task: 201 with the DRF field order, owner forced to the caller", async () => {
    const alice = await user();
    const bob = await user();
    const res = await api.post(
      "/api/tasks/",
      { title: "Complete DRF JWT Project", owner: bob.id, id: 999, created_at: "2000-01-01T00:00:00Z" },
      { token: alice.token },
    );
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["id", "title", "description", "is_completed", "created_at", "owner"]);
    expect(res.body).toMatchObject({
      title: "Complete DRF JWT Project",
      description: "",
      is_completed: false,
      owner: alice.id,
    });
    expect(res.body.id).not.toBe(999);
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
    expect(Date.now() - Date.parse(res.body.created_at)).toBeLessThan(60_000);
    expect(res.headers.get("allow")).toBe("GET, POST, HEAD, OPTIONS");
  });

  it("lists only the caller's tasks as a bare array", async () => {
    const alice = await user();
    const bob = await user();
    const empty = await api.get("/api/tasks/", { token: alice.token });
    expect([empty.status, empty.text]).toEqual([200, "[]"]);
    await api.post("/api/tasks/", { title: "a1" }, { token: alice.token });
    await api.post("/api/tasks/", { title: "b1" }, { token: bob.token });
    await api.post("/api/tasks/", { title: "a2" }, { token: alice.token });
    const list = await api.get("/api/tasks/", { token: alice.token });
    expect(list.body.map((task: { title: string }) => task.title)).toEqual(["a1", "a2"]);
    expect(list.body.every((task: { owner: number }) => task.owner === alice.id)).toBe(true);
  });

  it("reads, replaces, patches and deletes by id; DELETE is 204 with no body", async () => {
    const alice = await user();
    const created = (await api.post("/api/tasks/", { title: "t", description: "d" }, { token: alice.token })).body;
    const path = `/api/tasks/${created.id}/`;
    expect((await api.get(path, { token: alice.token })).body).toEqual(created);
    expect((await api.get(`/api/tasks/${created.id}`, { token: alice.token })).body).toEqual(created);
    expect((await api.get(`/api/tasks/0${created.id}/`, { token: alice.token })).body).toEqual(created);

    const put = await api.put(path, { title: "t2" }, { token: alice.token });
    expect([put.status, put.body.title, put.body.description]).toEqual([200, "t2", "d"]);
    const noTitle = await api.put(path, { description: "x" }, { token: alice.token });
    expect([noTitle.status, noTitle.body]).toEqual([400, { title: ["This field is required."] }]);
    const patch = await api.patch(path, { is_completed: "on" }, { token: alice.token });
    expect([patch.status, patch.body.is_completed, patch.body.title]).toEqual([200, true, "t2"]);
    expect((await api.patch(path, {}, { token: alice.token })).status).toBe(200);

    const del = await api.delete(path, { token: alice.token });
    expect([del.status, del.text, del.headers.get("content-type")]).toEqual([204, "", null]);
    expect(del.headers.get("vary")).toBe("Accept, Origin");
    expect((await api.delete(path, { token: alice.token })).body).toEqual(NOT_FOUND);
    expect(put.headers.get("allow")).toBe("GET, PUT, PATCH, DELETE, HEAD, OPTIONS");
  });

  it("answers 404 {detail} for other users' tasks, unknown and malformed ids, and changes nothing", async () => {
    const alice = await user();
    const bob = await user();
    const task = (await api.post("/api/tasks/", { title: "mine" }, { token: alice.token })).body;
    for (const [method, body] of [["GET"], ["PUT", { title: "x" }], ["PATCH", { title: "x" }], ["DELETE"]] as const) {
      const res = await api.request(method, `/api/tasks/${task.id}/`, { token: bob.token, ...(body ? { body } : {}) });
      expect([method, res.status, res.body]).toEqual([method, 404, NOT_FOUND]);
    }
    expect((await api.get(`/api/tasks/${task.id}/`, { token: alice.token })).body).toEqual(task);
    for (const id of ["abc", "-1", "0", "1.5", "99999999999999999999", "999999"]) {
      const res = await api.get(`/api/tasks/${id}/`, { token: alice.token });
      expect([id, res.status, res.body]).toEqual([id, 404, NOT_FOUND]);
    }
    const anonymous = await api.get("/api/tasks/abc/");
    expect(anonymous.status).toBe(401);
  });

  it("validates like DRF, booleans in every DRF spelling, JSON and forms", async () => {
    const { token } = await user();
    const create = (body: object) => api.post("/api/tasks/", body, { token });
    for (const value of [true, "true", "True", "TRUE", "yes", "y", "t", "on", "1", 1]) {
      expect([value, (await create({ title: "x", is_completed: value })).body.is_completed]).toEqual([value, true]);
    }
    for (const value of [false, "false", "no", "off", "0", 0]) {
      expect([value, (await create({ title: "x", is_completed: value })).body.is_completed]).toEqual([value, false]);
    }
    for (const value of ["abc", "", 2]) {
      const res = await create({ title: "x", is_completed: value });
      expect([value, res.status, res.body]).toEqual([value, 400, { is_completed: ["Must be a valid boolean."] }]);
    }
    expect((await create({ title: "x", is_completed: null })).body).toEqual({
      is_completed: ["This field may not be null."],
    });
    expect((await create({ title: 42 })).body.title).toBe("42");
    expect((await create({ title: "x".repeat(256) })).body).toEqual({
      title: ["Ensure this field has no more than 255 characters."],
    });
    expect((await create({})).body).toEqual({ title: ["This field is required."] });
    expect((await create({ title: " " })).body).toEqual({ title: ["This field may not be blank."] });

    const form = await http(app().url, "POST", "/api/tasks/", {
      raw: "title=From+a+form&is_completed=on&description=",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${token}` },
    });
    expect([form.status, form.body.title, form.body.is_completed, form.body.description]).toEqual([
      201,
      "From a form",
      true,
      "",
    ]);
  });

  it("answers 401 without a token and 405 for other methods", async () => {
    const { token } = await user();
    expect((await api.get("/api/tasks/")).status).toBe(401);
    expect((await api.post("/api/tasks/", { title: "x" })).status).toBe(401);
    expect((await api.put("/api/tasks/", {}, { token })).status).toBe(405);
    expect((await api.delete("/api/tasks/", { token })).status).toBe(405);
    const task = (await api.post("/api/tasks/", { title: "x" }, { token })).body;
    expect((await api.post(`/api/tasks/${task.id}/`, {}, { token })).status).toBe(405);
  });
});

describe("beyond the Django list: pagination, filters, search and ordering", () => {
  it("keeps the bare array without pagination parameters and gives DRF's page with them", async () => {
    const { token } = await user();
    for (let i = 1; i <= 5; i += 1)
      await api.post("/api/tasks/", { title: `task ${i}`, is_completed: i % 2 === 0 }, { token });
    expect(Array.isArray((await api.get("/api/tasks/?ordering=-title", { token })).body)).toBe(true);

    const first = await api.get("/api/tasks/?limit=2&ordering=-title", { token });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body)).toEqual(["count", "next", "previous", "results"]);
    expect(first.body.count).toBe(5);
    expect(first.body.previous).toBeNull();
    expect(first.body.results.map((task: { title: string }) => task.title)).toEqual(["task 5", "task 4"]);
    expect(first.body.next).toBe(`${app().url}/api/tasks/?limit=2&ordering=-title&offset=2`);

    // Links are absolute, built from the Host header as DRF builds them, and only from a well-formed one.
    const viaHost = await rawRequest(app().url, "GET", "/api/tasks/?limit=2", {
      host: "api.example.com:8443",
      authorization: `Bearer ${token}`,
    });
    expect(JSON.parse(viaHost.text).next).toBe("http://api.example.com:8443/api/tasks/?limit=2&offset=2");
    const forged = await rawRequest(app().url, "GET", "/api/tasks/?limit=2", {
      host: "evil.example/<x>",
      authorization: `Bearer ${token}`,
    });
    expect(JSON.parse(forged.text).next).toBe("http://localhost/api/tasks/?limit=2&offset=2");

    const second = await api.get("/api/tasks/?limit=2&ordering=-title&offset=2", { token });
    expect(second.body.previous).toMatch(/\/api\/tasks\/\?limit=2&ordering=-title$/);
    expect(second.body.next).toMatch(/offset=4$/);
    const last = await api.get("/api/tasks/?limit=2&ordering=-title&offset=4", { token });
    expect([last.body.results.length, last.body.next]).toEqual([1, null]);
    expect(last.body.previous).toMatch(/offset=2$/);

    const offsetOnly = await api.get("/api/tasks/?offset=1", { token });
    expect([offsetOnly.body.count, offsetOnly.body.results.length]).toEqual([5, 4]);

    const done = await api.get("/api/tasks/?is_completed=true&limit=10", { token });
    expect(done.body.results.map((task: { title: string }) => task.title)).toEqual(["task 2", "task 4"]);
    const search = await api.get("/api/tasks/?search=TASK%203", { token });
    expect(search.body.map((task: { title: string }) => task.title)).toEqual(["task 3"]);
  });

  it("refuses unknown orderings and bad page parameters with 400 field errors", async () => {
    const { token } = await user();
    const ordering = await api.get("/api/tasks/?ordering=password_hash", { token });
    expect([ordering.status, Object.keys(ordering.body)]).toEqual([400, ["ordering"]]);
    const limit = await api.get("/api/tasks/?limit=abc", { token });
    expect([limit.status, limit.body]).toEqual([400, { limit: ["A valid integer is required."] }]);
    const zero = await api.get("/api/tasks/?limit=0", { token });
    expect(zero.body).toEqual({ limit: ["Ensure this value is greater than or equal to 1."] });
    const big = await api.get("/api/tasks/?limit=1000", { token });
    expect(big.body).toEqual({ limit: ["Ensure this value is less than or equal to 100."] });
    const flag = await api.get("/api/tasks/?is_completed=maybe", { token });
    expect(flag.body).toEqual({ is_completed: ["Must be a valid boolean."] });
  });
});

describe("/api/tasks/ for a token whose user no longer accepts it", () => {
  it("answers what the profile answers, before the method, the id or the body is looked at, and changes nothing", async () => {
    const alice = await user();
    const task = (await api.post("/api/tasks/", { title: "Kept" }, { token: alice.token })).body;
    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", alice.id).execute();
    const refusal = await api.get("/api/users/profile/", { token: alice.token });
    expect(refusal.status).toBe(401);
    const json = { "content-type": "application/json", authorization: `Bearer ${alice.token}` };
    const attempts = [
      await api.post("/api/tasks/", { title: "New" }, { token: alice.token }),
      await api.patch(`/api/tasks/${task.id}/`, { is_completed: true }, { token: alice.token }),
      await api.delete(`/api/tasks/${task.id}/`, { token: alice.token }),
      await api.post("/api/tasks/", { title: "" }, { token: alice.token }),
      await api.get("/api/tasks/abc/", { token: alice.token }),
      await api.request("PUT", "/api/tasks/", { token: alice.token }),
      await http(app().url, "POST", "/api/tasks/", { raw: "{not json", headers: json }),
      await http(app().url, "POST", "/api/tasks/", {
        raw: "title=x",
        headers: { ...json, "content-type": "text/csv" },
      }),
    ];
    for (const res of attempts) expect([res.status, res.body]).toEqual([401, refusal.body]);
    const stored = await app()
      .db.db.selectFrom("tasks")
      .select(["title", "is_completed"])
      .where("owner_id", "=", alice.id)
      .execute();
    expect(stored).toEqual([{ title: "Kept", is_completed: false }]);
  });
});
