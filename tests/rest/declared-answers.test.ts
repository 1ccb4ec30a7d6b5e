import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { http } from "../helpers/http.js";
import { signUp } from "../helpers/users.js";

/** Small, so that a body over it is cheap to send. */
const MAX_BODY_BYTES = 4096;
const app = useTestApp({ env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
const document = JSON.parse(readFileSync(new URL("../../client-sdk/openapi.json", import.meta.url), "utf8"));

const operations = Object.entries(
  document.paths as Record<string, Record<string, { responses: object; requestBody?: object }>>,
).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase(),
    // Path parameters that name something plausible: the answers checked here come before the lookup.
    url: path.replace("{id}", "7"),
    declared: Object.keys(operation.responses),
    takesBody: operation.requestBody !== undefined,
  })),
);
// An operation that takes no body reads none (as DRF reads none for a view that never asks): log out everywhere.
const withBody = operations.filter(({ takesBody }) => takesBody);

/**
 * The answers a client's mistakes get, sent to every operation with a valid
 * token: each must be one the document declares for that operation.
 */
describe("every answer to a client's mistake is declared in the OpenAPI document", () => {
  it("406 for an Accept header without JSON", async () => {
    const { authorization } = await signUp(app());
    for (const { method, url, declared } of operations) {
      const res = await http(app().url, method, url, { headers: { authorization, accept: "image/png" } });
      expect([method, url, res.status]).toEqual([method, url, 406]);
      expect(declared).toContain("406");
    }
  });

  it("400 {detail} for an unparseable body, 415 for another media type, 413 for a body over the limit", async () => {
    const { authorization } = await signUp(app());
    const cases = [
      { raw: '{"title": nope', type: "application/json", status: 400 },
      { raw: "title=x", type: "text/plain", status: 415 },
      { raw: `{"title":"${"x".repeat(MAX_BODY_BYTES)}"}`, type: "application/json", status: 413 },
    ];
    for (const { method, url, declared } of withBody) {
      for (const { raw, type, status } of cases) {
        const res = await http(app().url, method, url, { raw, headers: { authorization, "content-type": type } });
        expect([method, url, type, res.status]).toEqual([method, url, type, status]);
        expect(declared).toContain(String(status));
        expect(res.body).toEqual({ detail: expect.any(String) });
      }
    }
  });

  it("405 for another method of the path", async () => {
    const { authorization } = await signUp(app());
    for (const { url, declared } of operations) {
      const methods = operations.filter((each) => each.url === url).map((each) => each.method);
      const other = ["PUT", "GET", "POST"].find((method) => !methods.includes(method)) as string;
      const res = await http(app().url, other, url, { headers: { authorization } });
      expect([other, url, res.status]).toEqual([other, url, 405]);
      expect(declared).toContain("405");
    }
  });
});
