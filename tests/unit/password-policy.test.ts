import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkPassword,
  loadCommonPasswords,
  quickRatio,
  readCommonPasswords,
  sortedWordList,
} from "../../server/services/password-policy.js";

interface Case {
  password: string;
  owner: { username: string; email: string; first_name: string; last_name: string };
  errors: string[];
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/password-policy.json", import.meta.url), "utf8")) as {
  generator: string;
  cases: Case[];
};

describe("the password policy equals Django's default validators", () => {
  it(`gives the messages ${fixture.generator} gives, for ${fixture.cases.length} passwords and owners`, () => {
    const mismatches = fixture.cases
      .map((c) => ({ ...c, ours: checkPassword(c.password, c.owner) }))
      .filter((c) => JSON.stringify(c.ours) !== JSON.stringify(c.errors));
    expect(mismatches).toEqual([]);
    // The fixture exercises every rule.
    const all = new Set(fixture.cases.flatMap((c) => c.errors));
    for (const message of [
      "This password is too common.",
      "This password is entirely numeric.",
      "The password is too similar to the username.",
      "The password is too similar to the email address.",
      "The password is too similar to the first name.",
      "The password is too similar to the last name.",
    ]) {
      expect(all).toContain(message);
    }
  });

  it("computes difflib's quick_ratio", () => {
    expect(quickRatio("abcd", "bcde")).toBeCloseTo(0.75);
    expect(quickRatio("", "")).toBe(1);
    expect(quickRatio("aaaa", "a")).toBeCloseTo(0.4);
    expect(quickRatio("😀x", "x😀")).toBe(1);
  });
});

describe("the sorted word list", () => {
  it("answers like a Set, for any words and any probes", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.array(fc.string()), (words, probes) => {
        const list = sortedWordList(words);
        const set = new Set(words);
        expect(list.size).toBe(set.size);
        for (const probe of [...words, ...probes]) expect(list.has(probe)).toBe(set.has(probe));
      }),
    );
  });

  it("holds every one of Django's common passwords, and nothing more", () => {
    const words = readCommonPasswords();
    const list = loadCommonPasswords();
    const set = new Set(words);
    expect(list.size).toBe(set.size);
    expect(words.filter((word) => !list.has(word))).toEqual([]);
    const nearMisses = words.flatMap((word) => [`${word}!`, word.slice(1), word.toUpperCase()]);
    expect(nearMisses.filter((word) => list.has(word))).toEqual(nearMisses.filter((word) => set.has(word)));
  });
});
