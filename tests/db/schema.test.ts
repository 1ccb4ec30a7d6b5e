import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSchemaSource } from "../../server/db/codegen.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

const SCHEMA_FILE = new URL("../../server/db/schema.ts", import.meta.url);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe("database types", () => {
  it("server/db/schema.ts is what the migrations produce (`npm run db:types` rewrites it)", async () => {
    const generated = await generateSchemaSource(db.db);
    // `npm run db:types` sets this to write the file instead of comparing.
    if (process.env.UPDATE_DB_TYPES === "1") writeFileSync(SCHEMA_FILE, generated);
    expect(generated).toBe(readFileSync(SCHEMA_FILE, "utf8"));
  });
});
