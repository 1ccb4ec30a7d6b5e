import type { AnyProcedure, AnyTRPCProcedure } from "@trpc/server";
import type { Context } from "./context.js";
import { type AppRouter, appRouter } from "./routers/app.js";
import { ownerProcedure, protectedProcedure, publicProcedure } from "./trpc.js";

// The app's procedures by their dotted path, as the REST bridge, the OpenAPI
// document, the metrics and the SDK generator see them. The one module that
// reads tRPC's internals (`_def`): tRPC keeps a router's procedures flat by
// path at runtime, though its declared type is nested.

type ProcedurePaths<R, P extends string = ""> = {
  [K in keyof R & string]: R[K] extends AnyProcedure ? `${P}${K}` : ProcedurePaths<R[K], `${P}${K}.`>;
}[keyof R & string];

/** `auth.register`, `user.me`, …: every procedure of the app, checked by the compiler. */
export type ProcedurePath = ProcedurePaths<AppRouter["_def"]["record"]>;

interface ProcedureDef {
  _def: { inputs: unknown[]; output?: unknown; type: "query" | "mutation" | "subscription"; middlewares: unknown[] };
}

const procedures = appRouter._def.procedures as unknown as Readonly<Record<string, AnyTRPCProcedure | undefined>>;

export const procedurePaths = (): string[] => Object.keys(procedures).sort();

export const isProcedurePath = (path: string): boolean => procedures[path] !== undefined;

export function procedureAt(path: string): AnyTRPCProcedure {
  const procedure = procedures[path];
  if (!procedure) throw new Error(`no procedure ${path}`);
  return procedure;
}

export interface ProcedureInfo {
  type: string;
  /** The input schema, when the procedure takes one. */
  input: unknown;
  output: unknown;
  /** It runs authentication's middleware (protectedProcedure's or ownerProcedure's). */
  needsToken: boolean;
}

const defOf = (procedure: unknown) => (procedure as ProcedureDef)._def;

/** The middlewares that authenticate: those of the protected builders that the public one lacks. */
const authenticating = (() => {
  const open = new Set(defOf(publicProcedure).middlewares);
  return new Set(
    [...defOf(protectedProcedure).middlewares, ...defOf(ownerProcedure).middlewares].filter((m) => !open.has(m)),
  );
})();

/** A procedure's kind, schemas and whether it needs a token (for coercion, the OpenAPI document and the SDK). */
export function procedureInfo(path: string): ProcedureInfo {
  const def = defOf(procedureAt(path));
  return {
    type: def.type,
    input: def.inputs[0],
    output: def.output,
    needsToken: def.middlewares.some((middleware) => authenticating.has(middleware)),
  };
}

/**
 * Calls a procedure as tRPC's own adapters do once they have found it (what
 * `callProcedure` does after its lookup): its middlewares, input parser,
 * resolver and output parser, in order. `getRawInput` is asked only when the
 * input parser runs, after authentication.
 */
export function invokeProcedure(
  procedure: AnyTRPCProcedure,
  path: string,
  ctx: Context,
  getRawInput: () => Promise<unknown>,
): Promise<unknown> {
  return procedure({
    path,
    type: defOf(procedure).type,
    ctx,
    getRawInput,
    input: undefined,
    signal: undefined,
    batchIndex: 0,
  });
}
