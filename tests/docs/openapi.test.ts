import { readFileSync } from "node:fs";
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
      expect(operation.responses["400"]).toBeDefined();
      if (route.auth)
        expect(operation.responses["401"].content["application/json"].schema).toEqual({
          $ref: "#/components/schemas/AuthError",
        });
      if (route.method === "POST" || route.method === "PUT" || route.method === "PATCH") {
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
      { name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } },
    ]);
    expect(committed.paths["/api/tasks/"].get.responses["200"].content["application/json"].schema.oneOf).toHaveLength(
      2,
    );
    expect(committed.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});
