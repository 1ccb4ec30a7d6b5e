import { type AnyProcedure, type AnyTRPCProcedure, getTRPCErrorFromUnknown, TRPCError } from "@trpc/server";
import { getParseFn, isObject } from "@trpc/server/unstable-core-do-not-import";
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
  _def: {
    inputs: unknown[];
    output?: unknown;
    type: "query" | "mutation" | "subscription";
    meta?: unknown;
    middlewares: Array<Middleware & { _type?: string }>;
  };
}

/** tRPC's middleware protocol: each gets the call's options and a `next` that runs the rest of the chain. */
type CallOptions = { ctx: unknown; input: unknown; getRawInput: () => Promise<unknown> } & Record<string, unknown>;
type NextOptions = { ctx?: object; input?: unknown; getRawInput?: () => Promise<unknown> } | undefined;
type Result = { ok: true; data: unknown } | { ok: false; error: TRPCError };
type Middleware = (
  opts: CallOptions & { meta: unknown; next: (next?: NextOptions) => Promise<Result> },
) => Promise<Result>;

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
 * Calls a procedure for the REST bridge: its middlewares, input parser,
 * resolver and output parser, in order, as tRPC's own `callRecursive` runs
 * them (tRPC's adapters and `createCaller` still use that one). Ours differs
 * only in speed: tRPC's build targets ES2017, whose lack of object spread its
 * compiler fills with a helper that copies property descriptors one at a time,
 * several times per level (measured in bench/README.md). `getRawInput` is
 * asked only when the input parser runs, after authentication.
 */
export async function invokeProcedure(
  procedure: AnyTRPCProcedure,
  path: string,
  ctx: Context,
  getRawInput: () => Promise<unknown>,
): Promise<unknown> {
  const def = defOf(procedure);
  const call: Call = { path, type: def.type, meta: def.meta, steps: stepsOf(def) };
  const result = await runFrom(call, 0, ctx, undefined, getRawInput);
  if (!result) {
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "No result from middlewares" });
  }
  if (!result.ok) throw result.error;
  return result.data;
}

interface Call {
  path: string;
  type: string;
  meta: unknown;
  steps: readonly Middleware[];
}

// Each level's options are one literal of fixed shape: spreading the previous
// level's options into a new object, as tRPC does, made V8 define each
// property through its slow path (bench/README.md).
async function runFrom(
  call: Call,
  index: number,
  ctx: unknown,
  input: unknown,
  getRawInput: () => Promise<unknown>,
): Promise<Result> {
  try {
    const middleware = call.steps[index] as Middleware;
    return await middleware({
      ctx,
      type: call.type,
      path: call.path,
      input,
      getRawInput,
      meta: call.meta,
      signal: undefined,
      batchIndex: 0,
      next: (next) =>
        runFrom(
          call,
          index + 1,
          next?.ctx ? { ...(ctx as object), ...next.ctx } : ctx,
          next && "input" in next ? next.input : input,
          next?.getRawInput ?? getRawInput,
        ),
    });
  } catch (cause) {
    return { ok: false, error: getTRPCErrorFromUnknown(cause) };
  }
}

const steps = new WeakMap<ProcedureDef["_def"], readonly Middleware[]>();

/**
 * A procedure's middlewares as this runner runs them: tRPC's input and output
 * validators are replaced by `inputStep` and `outputStep`, built from the same
 * schemas with tRPC's own `getParseFn`. tRPC's copy their results with its
 * descriptor-copying spread helper, which took more instructions than the
 * schemas' parsing (bench/README.md); tests/trpc/procedure-runner.test.ts holds
 * the two to the same results and errors.
 */
function stepsOf(def: ProcedureDef["_def"]): readonly Middleware[] {
  let found = steps.get(def);
  if (!found) {
    let inputs = 0;
    found = def.middlewares.map((middleware) => {
      if (middleware._type === "input") return inputStep(getParseFn(def.inputs[inputs++] as never));
      if (middleware._type === "output") return outputStep(getParseFn(def.output as never));
      return middleware;
    });
    steps.set(def, found);
  }
  return found;
}

type Parse = (value: unknown) => unknown;

/** tRPC's `inputValidatorMiddleware`, with native spreads. */
const inputStep =
  (parse: Parse): Middleware =>
  async ({ input, getRawInput, next }) => {
    const raw = await getRawInput();
    let parsed: unknown;
    try {
      parsed = await parse(raw);
    } catch (cause) {
      throw new TRPCError({ code: "BAD_REQUEST", cause });
    }
    return next({ input: isObject(input) && isObject(parsed) ? { ...input, ...parsed } : parsed });
  };

/** tRPC's `outputValidatorMiddleware`, with native spreads. */
const outputStep =
  (parse: Parse): Middleware =>
  async ({ next }) => {
    const result = await next();
    if (!result.ok) return result;
    try {
      return { ...result, data: await parse(result.data) };
    } catch (cause) {
      throw new TRPCError({ message: "Output validation failed", code: "INTERNAL_SERVER_ERROR", cause });
    }
  };
