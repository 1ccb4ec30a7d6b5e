import { type Compilable, CompiledQuery } from "kysely";
import type { Executor } from "./connect.js";

// Kysely builds a tree of nodes and compiles it to SQL on every call, which on
// a light request is a measurable share of its CPU (bench/README.md). A hot
// statement is therefore built and compiled once per shape, with a marker in
// place of each value; later calls only put their values where the markers
// were. The shape is which values are undefined, and what the caller adds.

const MARKER = Symbol("value");
type Marker = { readonly [MARKER]: string };
const isMarker = (value: unknown): value is Marker => typeof value === "object" && value !== null && MARKER in value;

interface Compiled {
  sql: string;
  /** Per parameter: the name of the value it takes, or the constant the builder put there. */
  slots: ReadonlyArray<{ name: string } | { constant: unknown }>;
}

/**
 * A statement built by `build` from named values, compiled once per shape.
 * `build` may use a value only as a bound parameter, and may look at no value
 * but to test whether it is undefined: each is a marker while it builds.
 * Anything else it decides by goes in `shape`, a string it is handed.
 */
export function compiledStatement<V extends object, R>(
  build: (db: Executor, values: V, shape: string) => Compilable<R>,
) {
  // By shape, then by which values are defined (a bit each, in the values' order): a number key
  // costs the lookup nothing, where a key string built per call had to be hashed every time.
  const shapes = new Map<string, Map<number, Compiled>>();

  const compile = (db: Executor, values: Record<string, unknown>, shape: string, defined: number): Compiled => {
    const markers = Object.fromEntries(
      Object.entries(values).map(([name, value]) => [name, value === undefined ? undefined : { [MARKER]: name }]),
    ) as V;
    const { sql, parameters } = build(db, markers, shape).compile();
    const slots = parameters.map((parameter) =>
      isMarker(parameter) ? { name: parameter[MARKER] } : { constant: parameter },
    );
    const used = new Set(slots.flatMap((slot) => ("name" in slot ? [slot.name] : [])));
    const unused = Object.keys(values).filter((name) => values[name] !== undefined && !used.has(name));
    if (unused.length > 0) throw new Error(`compiledStatement: ${unused.join(", ")} not bound as parameters`);
    const compiled = { sql, slots };
    const byDefined = shapes.get(shape) ?? new Map<number, Compiled>();
    byDefined.set(defined, compiled);
    shapes.set(shape, byDefined);
    return compiled;
  };

  return async (db: Executor, given: V, shape = ""): Promise<R[]> => {
    const values = given as Record<string, unknown>;
    let defined = 0;
    let bit = 1;
    for (const name in values) {
      if (values[name] !== undefined) defined += bit;
      bit *= 2;
    }
    const { sql, slots } = shapes.get(shape)?.get(defined) ?? compile(db, values, shape, defined);
    const parameters = slots.map((slot) => ("name" in slot ? values[slot.name] : slot.constant));
    return runStatement<R>(db, sql, parameters);
  };
}

type Runner = <R>(sql: string, parameters: readonly unknown[]) => Promise<R[]>;
const runners = new WeakMap<Executor, Runner>();

/**
 * Statements on `db` itself (not a transaction, not a copy with plugins) go
 * through `run` instead of Kysely's executor: its dozen async steps per
 * statement were a measurable share of a light request (bench/README.md).
 */
export function runStatementsWith(db: Executor, run: Runner): void {
  runners.set(db, run);
}

/** One compiled statement's rows. */
export function runStatement<R>(db: Executor, sql: string, parameters: readonly unknown[]): Promise<R[]> {
  const run = runners.get(db);
  if (run) return run<R>(sql, parameters);
  return db.executeQuery<R>(CompiledQuery.raw(sql, parameters as unknown[])).then(({ rows }) => rows);
}
