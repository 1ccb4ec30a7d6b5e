import { readFileSync } from "node:fs";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { routes } from "../../server/http/rest/routes.js";
import { useTestApp } from "../helpers/app.js";
import { http } from "../helpers/http.js";

const app = useTestApp();
const committed = JSON.parse(readFileSync(new URL("../../client-sdk/openapi.json", import.meta.url), "utf8"));

describe("the OpenAPI document", () => {
  it("is served at /api/openapi.json and is the one committed with the SDK (run `npm run generate` after a change)", async () => {
    const res = await http(app().url, "GET", "/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.body).toEqual(committed);
  });

  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(committed);
    expect(result).toEqual({ valid: true });
    expect(committed.openapi).toBe("3.1.0");
  });

  it("documents every REST route, its bearer security, bodies and error responses", () => {
    for (const route of routes) {
      const path = route.path.replace(/:([a-z]+)/gi, "{$1}");
      const operation = committed.paths[path]?.[route.method.toLowerCase()];
      expect([route.method, path, operation !== undefined]).toEqual([route.method, path, true]);
      expect(operation.security).toEqual(route.auth ? [{ bearerAuth: [] }] : []);
      expect(Object.keys(operation.responses)).toContain(String(route.status ?? 200));
      if (route.auth) expect(operation.responses["401"]).toEqual({ $ref: "#/components/responses/Unauthorized" });
      if (operation.requestBody) {
        expect(Object.keys(operation.requestBody.content)).toEqual([
          "application/json",
          "application/x-www-form-urlencoded",
          "multipart/form-data",
        ]);
      }
    }
    const register = committed.paths["/api/users/register/"].post;
    expect(register.requestBody.content["application/json"].schema.required).toEqual([
      "username",
      "password",
      "password2",
      "email",
      "first_name",
      "last_name",
    ]);
    expect(committed.paths["/api/tasks/{id}/"].get.parameters).toEqual([
      { name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 }, example: 7 },
    ]);
    expect(committed.paths["/api/tasks/"].get.responses["200"].content["application/json"].schema.oneOf).toHaveLength(
      2,
    );
    expect(committed.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});

const HAS_BODY = new Set(["POST", "PUT", "PATCH"]);
const operations = () =>
  Object.entries(committed.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
const resolve = (node: any): any => {
  if (!node?.$ref) return node;
  const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(node.$ref) ?? [];
  return committed.components[kind as string][name as string];
};

describe("what the OpenAPI document declares", () => {
  it("passes Redocly's recommended rules with 0 errors and 0 warnings, offline (the trailing-slash rule aside: Django's paths have one)", async () => {
    const config = await createConfig({
      extends: ["recommended"],
      rules: {
        "no-path-trailing-slash": "off",
        "response-contains-header": {
          severity: "error",
          names: { "401": ["WWW-Authenticate"], "429": ["Retry-After"], "503": ["Retry-After"] },
        },
      },
    });
    const problems = await lintFromString({ source: JSON.stringify(committed), absoluteRef: "/openapi.json", config });
    expect(problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message}`)).toEqual([]);
  });

  it("declares 406 and 503 everywhere; 413, 415 and the unparseable body's 400 ({detail}) on every operation with a body; 429 where a throttle applies", () => {
    // Every path counted in services/throttle.ts (and the strong-authentication routes' own counters).
    const throttled = [
      "auth.completeMfa",
      "auth.obtainToken",
      "auth.reauthenticate",
      "auth.reauthenticateOptions",
      "auth.register",
      "email.change",
      "email.resend",
      "mfa.regenerateRecoveryCodes",
      "otp.request",
      "otp.verify",
      "passkey.loginOptions",
      "passwordReset.confirm",
      "passwordReset.request",
      "totp.confirm",
      "totp.disable",
      "user.changePassword",
    ];
    for (const { method, path, operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      const where = `${method} ${path}`;
      expect([where, ...statuses]).toEqual(expect.arrayContaining([where, "405", "406", "503"]));
      if (HAS_BODY.has(method)) {
        expect([where, ...statuses]).toEqual(expect.arrayContaining([where, "400", "413", "415"]));
        const schema = operation.responses["400"].content["application/json"].schema;
        expect(schema.oneOf).toContainEqual({ $ref: "#/components/schemas/Detail" });
      }
      expect([where, statuses.includes("429")]).toEqual([where, throttled.includes(operation.operationId)]);
    }
    expect(resolve({ $ref: "#/components/responses/Throttled" }).headers["Retry-After"]).toBeDefined();
  });

  it("asks for no body where the procedure takes none (log out everywhere)", () => {
    expect(committed.paths["/api/users/sessions/revoke-all/"].post.requestBody).toBeUndefined();
  });

  it("names the shared shapes (User, Task, TokenPair, each error body) and refers to them", () => {
    for (const name of [
      "User",
      "Task",
      "TokenPair",
      "TaskPage",
      "Session",
      "FieldErrors",
      "Detail",
      "AuthError",
      "Message",
    ])
      expect([name, committed.components.schemas[name] !== undefined]).toEqual([name, true]);
    const ok = (path: string, method: string, status = "200") =>
      committed.paths[path][method].responses[status].content["application/json"].schema;
    expect(ok("/api/users/profile/", "get")).toEqual({ $ref: "#/components/schemas/User" });
    expect(ok("/api/users/register/", "post", "201")).toEqual({ $ref: "#/components/schemas/User" });
    expect(ok("/api/token/", "post")).toEqual({ $ref: "#/components/schemas/TokenPair" });
    expect(ok("/api/tasks/{id}/", "get")).toEqual({ $ref: "#/components/schemas/Task" });
    expect(ok("/api/tasks/", "get").oneOf).toEqual([
      { $ref: "#/components/schemas/TaskPage" },
      { type: "array", items: { $ref: "#/components/schemas/Task" } },
    ]);
  });

  it("gives every operation an example of its answer and of its body, and invents no ±2^53 values", () => {
    for (const { method, path, operation } of operations()) {
      const where = `${method} ${path}`;
      const [status, success] = Object.entries(operation.responses).find(([code]) => code.startsWith("2")) as [
        string,
        any,
      ];
      if (status !== "204") {
        const media = success.content["application/json"];
        expect([where, media.example !== undefined || media.examples !== undefined]).toEqual([where, true]);
      }
      for (const media of Object.values(operation.requestBody?.content ?? {}) as any[])
        expect([where, media.example !== undefined]).toEqual([where, true]);
    }
    expect(JSON.stringify(committed)).not.toMatch(/9007199254740991/);
  });
});
