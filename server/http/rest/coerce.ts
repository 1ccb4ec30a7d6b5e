// DRF's fields are lenient where JSON and HTML forms disagree: a string field
// takes a JSON number as its text, a boolean field takes "true", "yes", "on",
// "1" (and their opposites), a number field takes "20". The typed contracts
// stay strict; the REST bridge converts, field by field, from the procedure's
// own input schema.

type Kind = "string" | "boolean" | "number";

export type CoercionPlan = ReadonlyMap<string, Kind>;

interface ZodLike {
  _zod?: { def: { type: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown> } };
}

/** Through optional(), default(), nullable() and pipes, to the schema that checks the value. */
function unwrap(schema: unknown): ZodLike["_zod"] {
  let current = (schema as ZodLike | undefined)?._zod;
  while (current) {
    const { def } = current;
    const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (!next) return current;
    current = (next as ZodLike)._zod;
  }
  return undefined;
}

export function coercionPlan(inputSchema: unknown, only?: readonly string[]): CoercionPlan {
  const plan = new Map<string, Kind>();
  const object = unwrap(inputSchema);
  if (object?.def.type !== "object" || !object.def.shape) return plan;
  for (const [field, schema] of Object.entries(object.def.shape)) {
    if (only && !only.includes(field)) continue;
    const type = unwrap(schema)?.def.type;
    if (type === "string" || type === "boolean" || type === "number") plan.set(field, type);
  }
  return plan;
}

const TRUE = new Set(["t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"]);
const FALSE = new Set(["f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"]);

function coerceValue(kind: Kind, value: unknown): unknown {
  if (kind === "string") return typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (kind === "boolean") {
    const text = typeof value === "number" ? String(value) : value;
    if (typeof text !== "string") return value;
    return TRUE.has(text) ? true : FALSE.has(text) ? false : value;
  }
  return typeof value === "string" && /^\s*-?\d{1,16}\s*$/.test(value) ? Number(value) : value;
}

/** Converts `input` in place: it is a freshly parsed body or query, owned by the caller. */
export function coerce(input: Record<string, unknown>, plan: CoercionPlan): Record<string, unknown> {
  for (const [field, kind] of plan) {
    if (Object.hasOwn(input, field)) input[field] = coerceValue(kind, input[field]);
  }
  return input;
}
