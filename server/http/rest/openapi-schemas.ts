import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { refreshOutput, tokenPair } from "../../contracts/auth.js";
import { restTaskPage, taskOutput } from "../../contracts/task.js";
import { messageOutput, publicUser, revokeAllOutput, sessionInfo } from "../../contracts/user.js";
import { exampleSession, exampleTask, exampleTokenPair, exampleUser } from "./openapi-examples.js";

export type JsonSchema = Record<string, unknown>;

/** zod's JSON Schema, without the dialect and without int()'s ±2^53 bounds, which say nothing to a reader. */
export function toSchema(schema: unknown, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema as z.ZodType, {
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  return withoutSafeIntegerBounds(json) as JsonSchema;
}

function withoutSafeIntegerBounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSafeIntegerBounds);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).filter(
    ([key, bound]) =>
      !(key === "minimum" && bound === Number.MIN_SAFE_INTEGER) &&
      !(key === "maximum" && bound === Number.MAX_SAFE_INTEGER),
  );
  return Object.fromEntries(entries.map(([key, child]) => [key, withoutSafeIntegerBounds(child)]));
}

/** The contracts' shapes that answers share, as named components (with an example each). */
const NAMED: ReadonlyArray<[name: string, schema: z.ZodType, example: unknown]> = [
  ["User", publicUser, exampleUser],
  ["TokenPair", tokenPair, exampleTokenPair],
  ["RefreshedTokens", refreshOutput, exampleTokenPair],
  ["Task", taskOutput, exampleTask],
  ["TaskPage", restTaskPage, { count: 1, next: null, previous: null, results: [exampleTask] }],
  ["Session", sessionInfo, exampleSession],
  ["Message", messageOutput, { message: "Password updated successfully." }],
  ["RevokedSessions", revokeAllOutput, { revoked: 3 }],
];

const named = NAMED.map(([name, schema, example]) => ({ name, json: toSchema(schema, "output"), example }));

/** A schema with every part that is a named component replaced by a reference to it. */
export function referToComponents(schema: JsonSchema, except?: string): JsonSchema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== "object") return node;
    const match = named.find(({ name, json }) => name !== except && isDeepStrictEqual(node, json));
    if (match) return { $ref: `#/components/schemas/${match.name}` };
    return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, visit(child)]));
  };
  return visit(schema) as JsonSchema;
}

export const namedSchemas: Record<string, JsonSchema> = Object.fromEntries(
  named.map(({ name, json, example }) => [name, { ...referToComponents(json, name), example }]),
);
