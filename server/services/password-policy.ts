import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { z } from "zod";
import { PASSWORD_MAX_LENGTH } from "../contracts/fields.js";
import { dataFile } from "../paths.js";

/**
 * Django's four default password validators, with their exact messages:
 * similarity to the user's attributes, minimum length, common passwords and
 * entirely numeric. Every failing rule is reported, in Django's order.
 */
export interface PasswordOwner {
  username?: string | undefined;
  email?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
}

const MIN_LENGTH = 8;
/**
 * Python's `str.isdigit()`: decimal digits plus the characters Unicode types as
 * digits without being decimal (superscripts, circled digits…), listed from
 * Python 3.11's tables.
 */
const ENTIRELY_DIGITS =
  /^[\p{Nd}\u{B2}-\u{B3}\u{B9}\u{1369}-\u{1371}\u{19DA}\u{2070}\u{2074}-\u{2079}\u{2080}-\u{2089}\u{2460}-\u{2468}\u{2474}-\u{247C}\u{2488}-\u{2490}\u{24EA}\u{24F5}-\u{24FD}\u{24FF}\u{2776}-\u{277E}\u{2780}-\u{2788}\u{278A}-\u{2792}\u{10A40}-\u{10A43}\u{10E60}-\u{10E68}\u{11052}-\u{1105A}\u{1F100}-\u{1F10A}]+$/u;
const MAX_SIMILARITY = 0.7;
const ATTRIBUTES: Array<[keyof PasswordOwner, string]> = [
  ["username", "username"],
  ["first_name", "first name"],
  ["last_name", "last name"],
  ["email", "email address"],
];

export const passwordMismatch = "Password fields didn't match.";

/**
 * A sorted word list held as one string and the offsets of its lines: about a
 * fifth of the memory of a Set of 20,000 strings, which every worker would
 * otherwise carry for its whole life.
 */
export interface WordList {
  has(word: string): boolean;
  readonly size: number;
}

export function sortedWordList(words: Iterable<string>): WordList {
  const sorted = [...new Set(words)].sort();
  // Only `text` and `starts` may outlive this call, not the array of strings.
  const count = sorted.length;
  const text = sorted.join("\n");
  const starts = new Uint32Array(count + 1);
  for (let i = 0, at = 0; i < count; i += 1) {
    starts[i] = at;
    at += (sorted[i] as string).length + 1;
  }
  starts[count] = text.length + 1;
  const wordAt = (i: number) => text.slice(starts[i], (starts[i + 1] as number) - 1);
  return {
    size: count,
    has(word) {
      let low = 0;
      let high = count - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        const candidate = wordAt(middle);
        if (candidate === word) return true;
        if (candidate < word) low = middle + 1;
        else high = middle - 1;
      }
      return false;
    },
  };
}

let commonPasswords: WordList | undefined;

/** The lines of Django's list of 20,000 common passwords (server/data/README.md). */
export function readCommonPasswords(): string[] {
  return gunzipSync(readFileSync(dataFile("common-passwords.txt.gz")))
    .toString("utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The common passwords as a word list, read once on first use. */
export function loadCommonPasswords(): WordList {
  commonPasswords ??= sortedWordList(readCommonPasswords());
  return commonPasswords;
}

export function checkPassword(password: string, owner?: PasswordOwner): string[] {
  const errors: string[] = [];
  const similar = owner && similarAttribute(password, owner);
  if (similar) errors.push(`The password is too similar to the ${similar}.`);
  if (codePoints(password).length < MIN_LENGTH) {
    errors.push(`This password is too short. It must contain at least ${MIN_LENGTH} characters.`);
  }
  if (loadCommonPasswords().has(password.toLowerCase().trim())) errors.push("This password is too common.");
  if (ENTIRELY_DIGITS.test(password)) errors.push("This password is entirely numeric.");
  return errors;
}

/**
 * Django's rules for a new `password` field inside an input object, reported
 * like DRF: the policy with the other field errors, even when other fields are
 * missing; the mismatch with `password2` only when everything else is valid
 * (DRF's `validate()`).
 */
export function withNewPasswordRules<T extends z.ZodType<{ password: string; password2: string }>>(
  schema: T,
  owner: (value: Record<string, unknown>) => PasswordOwner | undefined,
) {
  return schema
    .superRefine(
      (value, ctx) => {
        // Runs even when other fields failed, so nothing about `value` is certain (it may not be an object).
        if (typeof value !== "object" || value === null) return;
        const { password } = value as Record<string, unknown>;
        if (typeof password !== "string" || password === "" || password.length > PASSWORD_MAX_LENGTH) return;
        for (const message of checkPassword(password, owner(value as Record<string, unknown>))) {
          ctx.addIssue({ code: "custom", path: ["password"], message });
        }
      },
      { when: () => true },
    )
    .check((ctx) => {
      if (ctx.issues.length === 0 && ctx.value.password !== ctx.value.password2) {
        ctx.issues.push({ code: "custom", path: ["password"], message: passwordMismatch, input: ctx.value });
      }
    });
}

function similarAttribute(password: string, owner: PasswordOwner): string | undefined {
  const lowered = password.toLowerCase();
  for (const [attribute, label] of ATTRIBUTES) {
    const value = owner[attribute];
    if (typeof value !== "string" || value === "") continue;
    const valueLower = value.toLowerCase();
    for (const part of [...valueLower.split(/[^\p{L}\p{N}_]+/u), valueLower]) {
      if (exceedsMaximumLengthRatio(lowered, part)) continue;
      if (quickRatio(lowered, part) >= MAX_SIMILARITY) return label;
    }
  }
  return undefined;
}

/** Django skips values so much shorter than the password that they cannot be similar. */
function exceedsMaximumLengthRatio(password: string, value: string): boolean {
  const passwordLength = codePoints(password).length;
  const valueLength = codePoints(value).length;
  return passwordLength >= 10 * valueLength && valueLength < (MAX_SIMILARITY / 2) * passwordLength;
}

/** Python's `difflib.SequenceMatcher.quick_ratio`: the strings' multiset overlap. */
export function quickRatio(a: string, b: string): number {
  const aChars = codePoints(a);
  const bChars = codePoints(b);
  const available = new Map<string, number>();
  for (const char of bChars) available.set(char, (available.get(char) ?? 0) + 1);
  let matches = 0;
  for (const char of aChars) {
    const left = available.get(char) ?? 0;
    if (left > 0) matches += 1;
    available.set(char, left - 1);
  }
  const length = aChars.length + bChars.length;
  return length === 0 ? 1 : (2 * matches) / length;
}

const codePoints = (value: string) => Array.from(value);
