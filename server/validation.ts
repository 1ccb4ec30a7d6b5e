import type { FieldErrors } from "./contracts/errors.js";
import { NON_FIELD_ERRORS } from "./errors.js";

interface Issue {
  readonly path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined;
  readonly message: string;
  readonly code?: string;
}

export const isIssueList = (value: unknown): value is Issue[] =>
  Array.isArray(value) && value.every((issue) => typeof issue === "object" && issue !== null && "message" in issue);

const PYTHON_TYPES: Record<string, string> = { string: "str", number: "int", boolean: "bool" };

/** DRF's wording when the body is not an object at all. */
function notAnObject(input: unknown): string {
  if (input === undefined || input === null) return "No data provided";
  const type = Array.isArray(input)
    ? "list"
    : typeof input === "number" && !Number.isInteger(input)
      ? "float"
      : (PYTHON_TYPES[typeof input] ?? typeof input);
  return `Invalid data. Expected a dictionary, but got ${type}.`;
}

/** Schema issues as DRF field errors: `{field: [messages]}`, root issues under `non_field_errors`. */
export function toFieldErrors(issues: readonly Issue[], input: unknown): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const head = issue.path?.[0];
    const key = head === undefined ? NON_FIELD_ERRORS : String(typeof head === "object" ? head.key : head);
    const message = head === undefined && issue.code === "invalid_type" ? notAnObject(input) : issue.message;
    const list = errors[key] ?? [];
    if (!list.includes(message)) list.push(message);
    errors[key] = list;
  }
  return errors;
}
