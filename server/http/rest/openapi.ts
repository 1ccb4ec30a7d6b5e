import type { ProcedurePath } from "../../procedure-table.js";
import { procedureInfo } from "../../procedure-table.js";
import { badRequest, errorHeaders, errorResponses, errorSchemas } from "./openapi-errors.js";
import { operationExamples } from "./openapi-examples.js";
import { type JsonSchema, namedSchemas, referToComponents, toSchema } from "./openapi-schemas.js";
import { type RestRoute, routes } from "./routes.js";

/**
 * The OpenAPI 3.1 document of the REST surface, from the same route table and
 * Zod contracts that serve it: paths, request bodies and query parameters from
 * the procedures' inputs, answers from their outputs, and every error the
 * server can send there, in the Django wire format's shapes.
 */

/** Procedures whose REST answers include simplejwt's 401s without a bearer token. */
const TOKEN_PROCEDURES = new Set<ProcedurePath>(["auth.obtainToken", "auth.refresh", "auth.verify", "auth.blacklist"]);

/** Procedures behind a throttle (services/throttle.ts): they can answer 429. */
const THROTTLED_PROCEDURES = new Set<ProcedurePath>([
  "auth.register",
  "auth.obtainToken",
  "otp.request",
  "otp.verify",
  "passwordReset.request",
  "passwordReset.confirm",
  "user.changePassword",
  "email.change",
]);

const response = (name: keyof typeof errorResponses) => ({ $ref: `#/components/responses/${name}` });
const hasBody = (route: RestRoute) => route.method === "POST" || route.method === "PUT" || route.method === "PATCH";

function parameters(route: RestRoute, inputSchema: JsonSchema) {
  const pathParams = [...route.path.matchAll(/:([a-z]+)/gi)].map(([, name = ""]) => {
    const text = route.textParams?.includes(name);
    return {
      name,
      in: "path",
      required: true,
      schema: text ? { type: "string", maxLength: 64 } : { type: "integer", minimum: 1 },
      example: text ? "c0a8012e5d3f4b7a9e61f0d2b4c6a8e1" : 7,
    };
  });
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
  if (!hasBody(route)) return undefined;
  const properties = { ...((inputSchema.properties ?? {}) as Record<string, JsonSchema>) };
  for (const [, name] of route.path.matchAll(/:([a-z]+)/gi)) delete properties[name as string];
  // A procedure that takes nothing (log out everywhere) needs no body.
  if (Object.keys(properties).length === 0) return undefined;
  const schema = {
    type: "object",
    properties,
    required: ((inputSchema.required ?? []) as string[]).filter((name) => name in properties),
  };
  const example = operationExamples[route.procedure].request;
  const media = { schema, ...(example ? { example } : {}) };
  // DRF parses forms as well as JSON.
  return {
    required: true,
    content: { "application/json": media, "application/x-www-form-urlencoded": media, "multipart/form-data": media },
  };
}

function success(variants: RestRoute[], output: JsonSchema | undefined) {
  const main = variants[variants.length - 1] as RestRoute;
  const status = main.status ?? 200;
  if (status === 204) return { [status]: { description: "Done; no body." } };
  const examples = variants.map((variant) => operationExamples[variant.procedure].response);
  const media =
    variants.length === 1
      ? { schema: output ?? {}, example: examples[0] }
      : {
          schema: output ?? {},
          examples: Object.fromEntries(
            variants.map((variant, index) => [variant.procedure, { value: examples[index] }]),
          ),
        };
  return { [status]: { description: "Success", content: { "application/json": media } } };
}

function responses(route: RestRoute, variants: RestRoute[], output: JsonSchema | undefined, takesQuery: boolean) {
  const body = hasBody(route);
  return {
    ...success(variants, output),
    ...(body || takesQuery ? { 400: badRequest(route.invalidInputMessage ? "message" : "fields", body) } : {}),
    ...(route.auth || TOKEN_PROCEDURES.has(route.procedure) ? { 401: response("Unauthorized") } : {}),
    ...(route.path.includes(":") ? { 404: response("NotFound") } : {}),
    405: response("MethodNotAllowed"),
    406: response("NotAcceptable"),
    ...(body ? { 413: response("PayloadTooLarge"), 415: response("UnsupportedMediaType") } : {}),
    ...(variants.some((variant) => THROTTLED_PROCEDURES.has(variant.procedure)) ? { 429: response("Throttled") } : {}),
    503: response("Unavailable"),
    // What a route's own rules add (routes.ts `moreErrors`): the shared answers where one fits, else a coded error.
    ...Object.fromEntries(
      Object.entries(route.moreErrors ?? {}).map(([status, description]) => [status, moreError(status, description)]),
    ),
  };
}

function moreError(status: string, description: string) {
  if (status === "401") return unauthorized(description);
  if (status === "429") return response("Throttled");
  return { description, content: { "application/json": { schema: { $ref: "#/components/schemas/CodedError" } } } };
}

/** A route's own 401: wrong credentials or a dead ticket (`{detail, code}`), or a second factor to ask for. */
function unauthorized(description: string) {
  const schema = description.includes("mfa_required")
    ? { anyOf: [{ $ref: "#/components/schemas/AuthError" }, { $ref: "#/components/schemas/MfaRequired" }] }
    : { $ref: "#/components/schemas/CodedError" };
  return {
    description,
    headers: { "WWW-Authenticate": { $ref: "#/components/headers/WWWAuthenticate" } },
    content: { "application/json": { schema } },
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
  const outputs = variants.map((variant, index) => {
    const output = variant.restOutput ?? schemas[index]?.output;
    return output ? referToComponents(toSchema(output, "output")) : undefined;
  });
  const output =
    outputs.length > 1 ? { oneOf: outputs.filter((schema): schema is JsonSchema => schema !== undefined) } : outputs[0];
  const summaries = variants.map((variant) => variant.summary);
  const query = parameters(route, merged).filter((param) => param.in === "query");
  const body = requestBody(route, merged);
  return {
    operationId: route.procedure,
    summary: summaries[summaries.length - 1],
    ...(summaries.length > 1 ? { description: summaries.join(". ") } : {}),
    tags: route.tags,
    ...(route.auth ? { security: [{ bearerAuth: [] }] } : { security: [] }),
    parameters: parameters(route, merged),
    ...(body ? { requestBody: body } : {}),
    responses: responses(route, variants, output, query.length > 0),
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
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "auth", description: "Accounts and tokens" },
      { name: "user", description: "The caller's profile, password and sessions" },
      { name: "tasks", description: "The caller's tasks" },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An access token from POST /api/token/ (simplejwt-compatible HS256).",
        },
      },
      schemas: { ...namedSchemas, ...errorSchemas },
      responses: errorResponses,
      headers: errorHeaders,
    },
  };
}
