import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ORIGINAL, patchTrpc, REPLACEMENT, trpcDistDir } from "../../server/tools/patch-trpc.mjs";

type Spread = (target: object, ...sources: unknown[]) => Record<PropertyKey, unknown>;
const compile = (source: string): Spread => new Function(`${source}; return _objectSpread2;`)() as Spread;
const spread = compile(REPLACEMENT);

describe("the object-spread helper put into @trpc/server at install", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("is in place in the installed package (npm install ran the postinstall script)", () => {
    const result = patchTrpc(trpcDistDir());
    expect(result.unknown).toEqual([]);
    expect(result.patched).toEqual([]);
    // The ESM and the CommonJS builds each carry a copy.
    expect(result.already.length).toBeGreaterThanOrEqual(2);
  });

  it("rewrites the known helper once, and leaves a helper it does not know alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "patch-trpc-"));
    dirs.push(dir);
    writeFileSync(join(dir, "a.mjs"), `const x = 1;\n${ORIGINAL}\nexport { _objectSpread2 };\n`);
    const changed = "function _objectSpread2(e) { return Object.assign(e, arguments[1]); }";
    writeFileSync(join(dir, "b.cjs"), changed);
    writeFileSync(join(dir, "c.mjs"), "export const unrelated = 1;");

    expect(patchTrpc(dir)).toEqual({ patched: ["a.mjs"], already: [], unknown: ["b.cjs"] });
    expect(readFileSync(join(dir, "a.mjs"), "utf8")).toContain(REPLACEMENT);
    expect(readFileSync(join(dir, "b.cjs"), "utf8")).toBe(changed);
    expect(patchTrpc(dir)).toEqual({ patched: [], already: ["a.mjs"], unknown: ["b.cjs"] });
  });

  it("keeps the semantics of a native spread", () => {
    const symbol = Symbol("s");
    const source = { a: 1, b: { deep: true }, [symbol]: 2 };
    const out = spread(spread({}, source), {}, { b: 3, c: undefined });
    expect(out).toEqual({ a: 1, b: 3, c: undefined, [symbol]: 2 });
    expect(Object.keys(out)).toEqual(["a", "b", "c"]);
    // Sources are copied, never changed.
    expect(source.b).toEqual({ deep: true });
    // null, undefined and false (`cond && {...}`) add nothing.
    expect(spread({ x: 1 }, null, undefined, false)).toEqual({ x: 1 });
    // Getters are read, not copied.
    let reads = 0;
    const copied = spread(
      {},
      {
        get g() {
          reads += 1;
          return "value";
        },
      },
    );
    expect(reads).toBe(1);
    expect(Object.getOwnPropertyDescriptor(copied, "g")).toMatchObject({ value: "value", writable: true });
  });

  it("copies an own __proto__ key (parsed JSON) as data, never as the prototype", () => {
    const input = JSON.parse('{"__proto__": {"isAdmin": true}, "name": "x"}') as object;
    const out = spread(spread({}, input), {}, { lastEventId: "1" });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.isAdmin).toBeUndefined();
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(out.name).toBe("x");
    expect(out.lastEventId).toBe("1");
    // The helper it replaces behaves the same on this input.
    const before = compile(ORIGINAL_WITH_DEPENDENCIES)(
      compile(ORIGINAL_WITH_DEPENDENCIES)({}, input),
      {},
      { lastEventId: "1" },
    );
    expect(Object.getPrototypeOf(before)).toBe(Object.prototype);
    expect(Object.hasOwn(before, "__proto__")).toBe(true);
  });
});

/** The original helper with the two helpers it calls, as @trpc/server ships them. */
const ORIGINAL_WITH_DEPENDENCIES = `
function _defineProperty(e, r, t) {
  return r in e ? Object.defineProperty(e, r, { value: t, enumerable: !0, configurable: !0, writable: !0 }) : e[r] = t, e;
}
function ownKeys(e, r) {
  var t = Object.keys(e);
  if (Object.getOwnPropertySymbols) {
    var o = Object.getOwnPropertySymbols(e);
    r && (o = o.filter(function(r) { return Object.getOwnPropertyDescriptor(e, r).enumerable; })), t.push.apply(t, o);
  }
  return t;
}
${ORIGINAL}`;
