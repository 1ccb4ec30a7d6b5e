import { setFlagsFromString } from "node:v8";

/**
 * V8 lets the old generation grow to as much as four times the live heap
 * before a full collection. A worker's live heap is about 18 MiB, so under
 * load it peaked at 70-80 MiB of old generation that was mostly garbage; at
 * 1.5 times it stays under 30 MiB. The price is more frequent full
 * collections of that small heap (measured in bench/README.md).
 * docs/security-and-operations.md, Memory.
 */
export const HEAP_GROWING_PERCENT = 50;
const FLAG = "--heap-growing-percent";

/** The V8 flags to set at start: none that the operator gave on the command line. */
export function heapFlags(execArgv: readonly string[]): string[] {
  // V8 spells its flags with dashes or underscores alike.
  const given = execArgv.some((arg) => arg.replaceAll("_", "-").split("=")[0] === FLAG);
  return given ? [] : [`${FLAG}=${HEAP_GROWING_PERCENT}`];
}

/** Before the app is built, in every process that serves; V8 reads this flag at each collection. */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of heapFlags(execArgv)) setFlagsFromString(flag);
}
