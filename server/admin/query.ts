import { badInput, textParam } from "./context.js";

// The list pages' filters, read from the query string: a bad value is a 400
// that names it, never a query that fails.

/** `yes`, `no`, or nothing (any). */
export function flagParam(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name) ?? "";
  if (value === "") return undefined;
  if (value === "yes" || value === "no") return value === "yes";
  throw badInput(`"${name}" takes yes or no.`);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day (`YYYY-MM-DD`, UTC) as its first instant; `end` gives the next day's, for an inclusive upper bound. */
export function dayParam(query: URLSearchParams, name: string, end = false): Date | undefined {
  const value = textParam(query, name, 10);
  if (value === undefined) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  if (!DAY.test(value) || Number.isNaN(date.getTime())) throw badInput(`"${name}" takes a date like 2026-01-31.`);
  if (end) date.setUTCDate(date.getUTCDate() + 1);
  return date;
}

export function pageParam(query: URLSearchParams): number {
  const value = query.get("page") ?? "1";
  const page = Number(value);
  if (!/^\d{1,6}$/.test(value) || page < 1) throw badInput('"page" takes a page number.');
  return page;
}

export function choiceParam<T extends string>(
  query: URLSearchParams,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = query.get(name) ?? "";
  if (value === "") return undefined;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw badInput(`"${name}" takes one of: ${choices.join(", ")}.`);
}
