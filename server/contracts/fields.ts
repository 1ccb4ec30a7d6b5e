import { z } from "zod";

/**
 * Field schemas that validate like Django REST Framework's serializer fields and
 * report DRF's exact messages, so REST clients written for the Django service see
 * the same field errors. Leaf module: imports nothing but zod.
 */
export const messages = {
  required: "This field is required.",
  null: "This field may not be null.",
  blank: "This field may not be blank.",
  notString: "Not a valid string.",
  maxLength: (max: number) => `Ensure this field has no more than ${max} characters.`,
  nullCharacter: "Null characters are not allowed.",
  surrogate: (codePoint: number) => `Surrogate characters are not allowed: U+${codePoint.toString(16).toUpperCase()}.`,
  email: "Enter a valid email address.",
  username: "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
  boolean: "Must be a valid boolean.",
  integer: "A valid integer is required.",
} as const;

export const PASSWORD_MAX_LENGTH = 4096;

const typeError = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? messages.required : issue.input === null ? messages.null : expected;

/** Python's `str.strip()`, which DRF trims with: its whitespace differs from JavaScript's (no BOM; U+001C–U+001F, U+0085). */
const PYTHON_SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PYTHON_STRIP = new RegExp(`^${PYTHON_SPACE}+|${PYTHON_SPACE}+$`, "g");
export const pythonStrip = (value: string) => value.replace(PYTHON_STRIP, "");

/**
 * zod runs its length checks on anything with a `.length`, arrays included, even
 * after the type check failed; DRF reports only the type. `when` is zod's hook
 * for deciding whether a check runs.
 */
const onStrings = <T extends object>(params: T): T => ({
  ...params,
  when: (payload: { value: unknown }) => typeof payload.value === "string",
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function firstLoneSurrogate(value: string): number | undefined {
  const match = LONE_SURROGATE.exec(value);
  return match ? match[0].charCodeAt(0) : undefined;
}

/** Text PostgreSQL can store as given: no NUL, no lone surrogate. */
export const isStorableText = (value: string) => !value.includes("\0") && firstLoneSurrogate(value) === undefined;

export interface CharFieldOptions {
  max?: number;
  allowBlank?: boolean;
  /** Checks DRF runs before the length limit (a model field's own validators), as [test, message]. */
  validators?: Array<[(value: string) => boolean, string]>;
  /** The message for a value that is not text (DRF's field-specific "invalid"). */
  typeMessage?: string;
}

/**
 * DRF `CharField`: required, not null, a string, trimmed (passwords too, as DRF
 * does), not blank; then the field's validators, the length limit, and no NUL
 * or lone surrogates, every failing check reported in DRF's order.
 */
export function charField({
  max,
  allowBlank = false,
  validators = [],
  typeMessage = messages.notString,
}: CharFieldOptions = {}) {
  let schema = z.string({ error: typeError(typeMessage) }).overwrite(pythonStrip);
  if (!allowBlank) schema = schema.min(1, onStrings({ error: messages.blank, abort: true }));
  for (const [test, message] of validators)
    schema = schema.refine(test, { error: message }) as unknown as typeof schema;
  if (max !== undefined) schema = schema.max(max, onStrings({ error: messages.maxLength(max) }));
  return schema
    .refine((value) => !value.includes("\0"), { error: messages.nullCharacter })
    .refine((value) => firstLoneSurrogate(value) === undefined, {
      error: (issue) => messages.surrogate(firstLoneSurrogate(String(issue.input)) ?? 0xd800),
    });
}

/** Passwords are capped before any hashing. */
export const passwordField = () => charField({ max: PASSWORD_MAX_LENGTH });

const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;
export const USERNAME_MAX_LENGTH = 150;

/** Django's `UnicodeUsernameValidator` plus the model's 150-character limit. */
export const usernameField = () =>
  charField({ max: USERNAME_MAX_LENGTH, validators: [[(value) => USERNAME.test(value), messages.username]] });

export const EMAIL_MAX_LENGTH = 254;

/**
 * DRF's `EmailField`: Django's `EmailValidator`, checked after the other rules
 * (an over-long address reports only its length); a value of the wrong type is
 * also "not a valid email address".
 */
export const emailField = (options: { allowBlank?: boolean } = {}) =>
  charField({ max: EMAIL_MAX_LENGTH, typeMessage: messages.email, ...options }).refine(
    (value) => value === "" || value.length > EMAIL_MAX_LENGTH || isEmail(value),
    { error: messages.email },
  );

/** A boolean; the REST bridge also accepts DRF's spellings ("true", "yes", "on", "1", …). */
export const booleanField = () => z.boolean({ error: typeError(messages.boolean) });

/** A database id: a positive integer small enough to be exact in JavaScript. */
export const idField = () =>
  z
    .number({ error: typeError(messages.integer) })
    .int({ error: messages.integer })
    .min(1, { error: messages.integer })
    .max(Number.MAX_SAFE_INTEGER, { error: messages.integer });

const DOT_ATOM = /^[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*$/i;
// Django also allows control characters inside a quoted local part; we take printable ASCII only (no space, like Django).
const QUOTED = /^"(?:[!#-[\]-~]|\\[ -~])*"$/;
const DOMAIN =
  /^(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?\.)+(?:[a-z0-9\u00a1-\uffff-]{2,63})$/i;
const IPV4_LITERAL = /^\[(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\]$/;

/** `[::1]` or `[IPv6:::1]`, checked by the URL parser (present in browsers and Node). */
function isIpv6Literal(domain: string): boolean {
  const inner = /^\[(?:IPv6:)?([0-9a-f:.]+)\]$/i.exec(domain)?.[1];
  if (!inner?.includes(":")) return false;
  try {
    return new URL(`http://[${inner}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function isEmail(value: string): boolean {
  const at = value.lastIndexOf("@");
  if (at <= 0 || at === value.length - 1) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!DOT_ATOM.test(local) && !QUOTED.test(local)) return false;
  if (domain === "localhost" || IPV4_LITERAL.test(domain) || isIpv6Literal(domain)) return true;
  return DOMAIN.test(domain) && !domain.endsWith("-");
}
