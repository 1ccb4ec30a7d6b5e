import { describe, expect, it } from "vitest";
import { ipBucket } from "../../server/services/throttle.js";

describe("the per-IP budgets' buckets", () => {
  it("keep an IPv4 address as it is, IPv4-mapped IPv6 included", () => {
    expect(ipBucket("203.0.113.9")).toBe("203.0.113.9");
    expect(ipBucket("::ffff:203.0.113.9")).toBe("203.0.113.9");
  });

  it("put every address of one IPv6 /64 in one bucket, however it is written", () => {
    const written = [
      "2001:db8:1:2::1",
      "2001:db8:1:2:ffff:ffff:ffff:ffff",
      "2001:0DB8:0001:0002:0:0:0:abcd",
      "2001:db8:1:2:3:4:5:6",
      "fe80::1%eth0".replace("fe80::1", "2001:db8:1:2::7"),
    ];
    expect(new Set(written.map(ipBucket))).toEqual(new Set(["2001:db8:1:2::/64"]));
  });

  it("tell /64s apart, the :: in any place", () => {
    expect(ipBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(ipBucket("2001:db8::1:2:3:4:5")).toBe("2001:db8:0:1::/64");
    expect(ipBucket("::1")).toBe("0:0:0:0::/64");
    expect(ipBucket("2001:db8::")).toBe("2001:db8:0:0::/64");
  });
});
