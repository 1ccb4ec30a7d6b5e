import { z } from "zod";
import { procedureInfo } from "../../procedure-table.js";
import { type RestRoute, routes } from "./routes.js";

/**
 * The OpenAPI 3.1 document of the REST surface, from the same route table and
 * Zod contracts that serve it: paths, request bodies and query parameters from
 * the procedures' inputs, responses from their outputs, and the error bodies
 * the Django wire format uses.
 */
type JsonSchema = Record<string, unknown>;

const toSchema = (schema: unknown, io: "input" | "output"): JsonSchema => {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema as z.ZodType, {
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  return json;
};

/** Procedures whose REST answers include simplejwt's 401s. */
const TOKEN_PROCEDURES = new Set<string>(["auth.obtainToken", "auth.refresh", "auth.verify", "auth.blacklist"]);

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: JsonSchema) => ({ "application/json": { schema } });
const errorResponse = (description: string, schema: string) => ({ description, content: jsonContent(ref(schema)) });

const components = {
  securitySchemes: {
    bearerAuth: {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: "An access token from POST /api/token/ (simplejwt-compatible HS256).",
    },
  },
  schemas: {
    FieldErrors: {
      type: "object",
      description:
        "DRF field errors: each field (or `non_field_errors`) with its messages, in the serializer's field order.",
      additionalProperties: { type: "array", items: { type: "string" } },
      example: { username: ["A user with that username already exists."] },
    },
    Detail: {
      type: "object",
      required: ["detail"],
      properties: { detail: { type: "string" } },
      example: { detail: "Not found." },
    },
    AuthError: {
      type: "object",
      description: "simplejwt's 401 body; `code` is absent when no credentials were sent.",
      required: ["detail"],
      properties: {
        detail: { type: "string" },
        code: {
          type: "string",
          enum: ["bad_authorization_header", "token_not_valid", "user_not_found", "user_inactive"],
        },
        messages: {
          type: "array",
          items: {
            type: "object",
            properties: {
              token_class: { type: "string" },
              token_type: { type: "string" },
              message: { type: "string" },
            },
          },
        },
      },
      example: { detail: "Given token not valid for any token type", code: "token_not_valid" },
    },
    CodedError: {
      type: "object",
      description: "An error with its machine code (see server/contracts/errors.ts).",
      required: ["detail"],
      properties: { detail: { type: "string" }, code: { type: "string" } },
      example: { detail: "Invalid or expired code.", code: "mfa_code_invalid" },
    },
    Message: {
      type: "object",
      description: "The seed service's login endpoints answer `{message}`.",
      required: ["message"],
      properties: { message: { type: "string" } },
      example: { message: "Invalid credentials" },
    },
  },
} as const;

function parameters(route: RestRoute, inputSchema: JsonSchema) {
  const pathParams = [...route.path.matchAll(/:([a-z]+)/gi)].map(([, name = ""]) => ({
    name,
    in: "path",
    required: true,
    schema: route.textParams?.includes(name) ? { type: "string", maxLength: 64 } : { type: "integer", minimum: 1 },
  }));
  if (route.method !== "GET") return pathParams;
  const properties = (inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((inputSchema.required ?? []) as string[]);
  const query = Object.entries(properties)
    .filter(([name]) => !pathParams.some((param) => param.name === name))
    .map(([name, { default: _default, description, ...schema }]) => ({
      name,
      in: "query",
      required: required.has(name),
      // A default would make documentation tools send the parameter, and so ask for a page.
      ...(description ? { description } : {}),
      schema,
    }));
  return [...pathParams, ...query];
}

function requestBody(route: RestRoute, inputSchema: JsonSchema) {
  if (route.method === "GET" || route.method === "DELETE") return undefined;
  const properties = { ...((inputSchema.properties ?? {}) as Record<string, JsonSchema>) };
  for (const [, name] of route.path.matchAll(/:([a-z]+)/gi)) delete properties[name as string];
  const schema = {
    type: "object",
    properties,
    required: ((inputSchema.required ?? []) as string[]).filter((name) => name in properties),
  };
  // DRF parses forms as well as JSON.
  return {
    required: true,
    content: {
      "application/json": { schema },
      "application/x-www-form-urlencoded": { schema },
      "multipart/form-data": { schema },
    },
  };
}

function responses(route: RestRoute, outputSchema: JsonSchema | undefined) {
  const status = route.status ?? 200;
  const success =
    status === 204
      ? { description: "Done; no body." }
      : { description: "Success", content: jsonContent(outputSchema ?? {}) };
  const messageStyle = route.invalidInputMessage !== undefined;
  return {
    [status]: success,
    400: messageStyle
      ? errorResponse("Missing fields, or a failed login step", "Message")
      : errorResponse("Field errors", "FieldErrors"),
    ...(route.auth || TOKEN_PROCEDURES.has(route.procedure)
      ? { 401: errorResponse("Not authenticated, wrong credentials, or the token is not valid", "AuthError") }
      : {}),
    ...(route.path.includes(":") ? { 404: errorResponse("No such object of the caller's", "Detail") } : {}),
    ...Object.fromEntries(
      Object.entries(route.moreErrors ?? {}).map(([code, description]) => [
        code,
        errorResponse(description, "CodedError"),
      ]),
    ),
    405: errorResponse("Method not allowed", "Detail"),
    413: errorResponse("Body too large", "Detail"),
    415: errorResponse("Unsupported media type", "Detail"),
  };
}

function operation(route: RestRoute, variants: RestRoute[]) {
  const schemas = variants.map((variant) => procedureInfo(variant.procedure));
  // Routes that share a method and path (the task list and its pages) are one operation.
  const inputs = schemas.map(({ input }) => (input ? toSchema(input, "input") : { type: "object" }));
  const merged: JsonSchema = {
    type: "object",
    properties: Object.assign({}, ...inputs.map((input) => input.properties ?? {})),
    required: inputs.length === 1 ? (inputs[0]?.required ?? []) : [],
  };
  const outputs = variants.map((variant, index) =>
    variant.restOutput
      ? toSchema(variant.restOutput, "output")
      : schemas[index]?.output
        ? toSchema(schemas[index].output, "output")
        : undefined,
  );
  const output =
    outputs.length > 1 ? { oneOf: outputs.filter((schema): schema is JsonSchema => schema !== undefined) } : outputs[0];
  const summaries = variants.map((variant) => variant.summary);
  return {
    operationId: route.procedure,
    summary: summaries[summaries.length - 1],
    ...(summaries.length > 1 ? { description: summaries.join(". ") } : {}),
    tags: route.tags,
    ...(route.auth ? { security: [{ bearerAuth: [] }] } : { security: [] }),
    parameters: parameters(route, merged),
    ...(requestBody(route, merged) ? { requestBody: requestBody(route, merged) } : {}),
    responses: responses(route, output),
  };
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const grouped = new Map<string, RestRoute[]>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    grouped.set(key, [...(grouped.get(key) ?? []), route]);
  }
  for (const variants of grouped.values()) {
    // The last row of a group is the one without a `when` test: it names the operation.
    const main = variants[variants.length - 1] as RestRoute;
    const path = main.path.replace(/:([a-z]+)/gi, "{$1}");
    paths[path] = { ...paths[path], [main.method.toLowerCase()]: operation(main, variants) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "JWT auth server: REST API",
      version: "1.0.0",
      description:
        "Wire-compatible with the Django REST Framework + simplejwt service it replaces. Every path also works without its trailing slash. The typed tRPC API is served under /trpc.",
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "auth", description: "Accounts and tokens" },
      { name: "user", description: "The caller's profile and password" },
      { name: "tasks", description: "The caller's tasks" },
    ],
    paths,
    components,
  };
}
