import { appRouter } from "../../routers/app.js";
import type { ProcedurePath } from "./routes.js";

interface ProcedureDef {
  _def: { inputs: unknown[]; output?: unknown; type: "query" | "mutation" | "subscription" };
}

/** A procedure's input and output schemas, read from the router (for coercion and the OpenAPI document). */
export function procedureSchemas(path: ProcedurePath): { input: unknown; output: unknown } {
  const procedure = (appRouter._def.procedures as unknown as Record<string, ProcedureDef | undefined>)[path];
  if (!procedure) throw new Error(`no procedure ${path}`);
  return { input: procedure._def.inputs[0], output: procedure._def.output };
}
