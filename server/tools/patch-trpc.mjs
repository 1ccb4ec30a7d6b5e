// `npm install` runs this (postinstall). @trpc/server's build replaces every
// object spread with a helper (`_objectSpread2`, from oxc's runtime) written
// for engines without spread syntax: it copies properties one descriptor at a
// time. tRPC calls it several times per middleware on every procedure call, and
// in a busy server it was the largest single cost of a request (bench/README.md,
// issue 7). This puts back what the TypeScript source says: native spreads.
//
// The file is rewritten only where it holds the exact helper this script knows;
// anything else is left alone with a warning, so a tRPC upgrade can only lose
// the speed-up, never change behaviour. tests/unit/patch-trpc.test.ts checks the
// rewrite is in place and keeps spread semantics.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The helper as @trpc/server 11 ships it. */
export const ORIGINAL = `function _objectSpread2(e) {
\tfor (var r = 1; r < arguments.length; r++) {
\t\tvar t = null != arguments[r] ? arguments[r] : {};
\t\tr % 2 ? ownKeys(Object(t), !0).forEach(function(r) {
\t\t\t_defineProperty(e, r, t[r]);
\t\t}) : Object.getOwnPropertyDescriptors ? Object.defineProperties(e, Object.getOwnPropertyDescriptors(t)) : ownKeys(Object(t)).forEach(function(r) {
\t\t\tObject.defineProperty(e, r, Object.getOwnPropertyDescriptor(t, r));
\t\t});
\t}
\treturn e;
}`;

/**
 * Every call site passes a fresh object literal first and uses the result, so
 * a new object is as good as the mutated one. Later arguments are spread
 * sources and the literal parts written after them (none has accessors).
 */
export const REPLACEMENT = `function _objectSpread2(e) {
\t/* patched by server/tools/patch-trpc.mjs */
\tfor (var r = 1; r < arguments.length; r++) {
\t\tvar t = arguments[r];
\t\tif (t != null && Object.prototype.hasOwnProperty.call(t, "__proto__")) e = { ...e, ...t };
\t\telse Object.assign(e, t);
\t}
\treturn e;
}`;

/**
 * Rewrites the helper in every file of `distDir` that holds it.
 * Answers what it found: files patched now, files patched before, files whose helper it does not know.
 */
export function patchTrpc(distDir) {
  const result = { patched: [], already: [], unknown: [] };
  for (const name of readdirSync(distDir)) {
    if (!/\.(c|m)?js$/.test(name)) continue;
    const file = join(distDir, name);
    const source = readFileSync(file, "utf8");
    if (!source.includes("function _objectSpread2(")) continue;
    if (source.includes(REPLACEMENT)) result.already.push(name);
    else if (source.includes(ORIGINAL)) {
      writeFileSync(file, source.replace(ORIGINAL, REPLACEMENT));
      result.patched.push(name);
    } else result.unknown.push(name);
  }
  return result;
}

export function trpcDistDir() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return join(root, "node_modules", "@trpc", "server", "dist");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { patched, unknown } = patchTrpc(trpcDistDir());
    if (patched.length > 0) console.log(`patch-trpc: native object spreads in @trpc/server (${patched.join(", ")})`);
    if (unknown.length > 0) {
      console.warn(`patch-trpc: @trpc/server's spread helper changed in ${unknown.join(", ")}; left as is (slower).`);
    }
  } catch (error) {
    // Never fail an install over a speed-up.
    console.warn(`patch-trpc: not applied: ${error}`);
  }
}
