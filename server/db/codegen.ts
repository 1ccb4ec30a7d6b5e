import type { ColumnMetadata, Kysely } from "kysely";

/**
 * Writes the Kysely `Database` interface from the migrated schema, so the types
 * cannot drift from the SQL: `npm run db:types` regenerates schema.ts and a test
 * fails when the committed file differs from what the migrations produce.
 */
const TS_TYPES: Record<string, string> = {
  int2: "number",
  int4: "number",
  int8: "number",
  float4: "number",
  float8: "number",
  numeric: "string",
  bool: "boolean",
  text: "string",
  varchar: "string",
  bpchar: "string",
  uuid: "string",
  inet: "string",
  citext: "string",
  timestamptz: "Date",
  timestamp: "Date",
  date: "Date",
  json: "unknown",
  jsonb: "unknown",
  bytea: "Uint8Array",
};

const pascal = (name: string) =>
  name.replace(/(^|_)([a-z0-9])/g, (_match, _sep, letter: string) => letter.toUpperCase());

function columnType(column: ColumnMetadata): string {
  const base = TS_TYPES[column.dataType];
  if (!base) throw new Error(`codegen: no TypeScript type for ${column.dataType} (${column.name})`);
  const type = column.isNullable ? `${base} | null` : base;
  return column.hasDefaultValue || column.isAutoIncrementing ? `Generated<${type}>` : type;
}

export async function generateSchemaSource<DB>(db: Kysely<DB>): Promise<string> {
  const tables = (await db.introspection.getTables())
    .filter((table) => !table.isView && table.schema === "public" && !table.name.startsWith("kysely_"))
    .sort((a, b) => a.name.localeCompare(b.name));

  const lines = [
    "// Generated from the migrated schema by `npm run db:types`. Do not edit.",
    'import type { Generated } from "kysely";',
    "",
  ];
  for (const table of tables) {
    lines.push(`export interface ${pascal(table.name)}Table {`);
    for (const column of table.columns) lines.push(`  ${column.name}: ${columnType(column)};`);
    lines.push("}", "");
  }
  lines.push("export interface Database {");
  for (const table of tables) lines.push(`  ${table.name}: ${pascal(table.name)}Table;`);
  lines.push("}", "");
  return lines.join("\n");
}
