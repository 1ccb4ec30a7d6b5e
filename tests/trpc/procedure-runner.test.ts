import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createContext } from "../../server/context.js";
import type { Deps } from "../../server/deps.js";
import { invokeProcedure } from "../../server/procedure-table.js";
import { publicProcedure, router } from "../../server/trpc.js";

// The REST bridge runs procedures with its own runner (`invokeProcedure`),
// which puts its own steps in place of tRPC's input and output validators.
// tRPC's runner (`createCaller`, the tRPC adapter) is the reference: the same
// procedure must give the same output, and fail with the same error, by both.

const testRouter = router({
  // Unknown keys are stripped, defaults filled and values transformed, on the way in and out.
  echo: publicProcedure
    .input(z.object({ name: z.string().min(2), tags: z.array(z.string()).default([]) }))
    .output(z.object({ greeting: z.string(), tags: z.array(z.string()), length: z.number() }))
    .mutation(({ input }) => ({
      greeting: `hello ${input.name}`,
      tags: input.tags,
      length: input.name.length,
      extra: 1,
    })),
  // Two inputs: their parsed objects are merged.
  merged: publicProcedure
    .input(z.object({ a: z.number() }))
    .input(z.object({ b: z.string().transform((value) => value.toUpperCase()) }))
    .output(z.object({ a: z.number(), b: z.string() }))
    .mutation(({ input }) => input),
  // A resolver whose answer breaks its own output schema.
  broken: publicProcedure
    .output(z.object({ id: z.number() }))
    .query(() => ({ id: "not a number" }) as unknown as { id: number }),
  asyncOutput: publicProcedure
    .output(z.object({ at: z.string() }).refine(async (value) => value.at.length > 0))
    .query(() => ({ at: "now" })),
});

const procedures = testRouter._def.procedures as unknown as Record<string, never>;
const ctx = () => createContext({} as Deps);
const callers = {
  tRPC: (path: string, input: unknown) =>
    (testRouter.createCaller(ctx()) as unknown as Record<string, (input: unknown) => Promise<unknown>>)[path]?.(input),
  bridge: (path: string, input: unknown) =>
    invokeProcedure(procedures[path] as never, path, ctx(), () => Promise.resolve(input)),
};

/** The outcome of a call, as plain data: the value, or the error's class, code, message and cause's issues. */
async function outcome(call: () => Promise<unknown> | undefined) {
  try {
    return { value: await call() };
  } catch (error) {
    const trpc = error as TRPCError;
    const cause = trpc.cause as { issues?: unknown; cause?: { issues?: unknown } } | undefined;
    return {
      error: {
        isTRPCError: error instanceof TRPCError,
        code: trpc.code,
        message: trpc.message,
        issues: cause?.issues ?? cause?.cause?.issues,
      },
    };
  }
}

const cases: Array<[path: string, input: unknown]> = [
  ["echo", { name: "Ada", unknown: true }],
  ["echo", { name: "Ada", tags: ["x"] }],
  ["echo", { name: "A" }],
  ["echo", { name: 7 }],
  ["echo", undefined],
  ["echo", "a string"],
  ["merged", { a: 1, b: "two", c: 3 }],
  ["merged", { a: "one", b: "two" }],
  ["merged", { a: 1 }],
  ["broken", undefined],
  ["asyncOutput", undefined],
];

describe("the bridge's procedure runner", () => {
  it.each(cases)("gives %s(%j) the outcome tRPC's runner gives", async (path, input) => {
    const reference = await outcome(() => callers.tRPC(path, input));
    const bridged = await outcome(() => callers.bridge(path, input));
    expect(bridged).toEqual(reference);
  });

  it("covers successes, input failures and output failures", async () => {
    const outcomes = await Promise.all(cases.map(([path, input]) => outcome(() => callers.tRPC(path, input))));
    expect(outcomes[0]).toEqual({ value: { greeting: "hello Ada", tags: [], length: 3 } });
    expect(outcomes[6]).toEqual({ value: { a: 1, b: "TWO" } });
    expect(outcomes.filter((o) => o.error?.code === "BAD_REQUEST").length).toBeGreaterThanOrEqual(4);
    expect(outcomes[9]).toMatchObject({ error: { code: "INTERNAL_SERVER_ERROR" } });
    expect(outcomes[10]).toEqual({ value: { at: "now" } });
  });
});
