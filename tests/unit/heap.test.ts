import { describe, expect, it } from "vitest";
import { HEAP_GROWING_PERCENT, heapFlags } from "../../server/heap.js";

describe("the heap tuning set at start", () => {
  it("limits the old generation's growth by default", () => {
    expect(heapFlags([])).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    expect(heapFlags(["--enable-source-maps", "--max-semi-space-size=8"])).toEqual([
      `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    ]);
  });

  it("leaves the operator's own setting alone, however V8 spells it", () => {
    expect(heapFlags(["--heap-growing-percent=100"])).toEqual([]);
    expect(heapFlags(["--heap_growing_percent=200"])).toEqual([]);
    expect(heapFlags(["--heap-growing-percent"])).toEqual([]);
  });
});
