import { describe, expect, it } from "vitest";
import { endsStatement } from "../../server/cli/sql-input.js";

describe("the SQL prompt's statement end", () => {
  it("is a semicolon outside quotes, dollar quotes and comments", () => {
    expect(endsStatement("select 1;")).toBe(true);
    expect(endsStatement("select 1;  ")).toBe(true);
    expect(endsStatement("select 1")).toBe(false);
    expect(endsStatement("select ';'")).toBe(false);
    expect(endsStatement("select 'it''s';")).toBe(true);
    expect(endsStatement('select 1 as ";"')).toBe(false);
    expect(endsStatement("select $$;$$")).toBe(false);
    expect(endsStatement("select $body$ ; $$ ; $body$;")).toBe(true);
    expect(endsStatement("select $1::int;")).toBe(true);
    expect(endsStatement("select 1; -- done")).toBe(true);
    expect(endsStatement("select 1 -- not yet;")).toBe(false);
    expect(endsStatement("select 1 /* ; */")).toBe(false);
    expect(endsStatement("select 1 /* /* ; */ still a comment; */;")).toBe(true);
    expect(endsStatement("select 'open;")).toBe(false);
    expect(endsStatement("select 1;\nselect 2;")).toBe(true);
  });
});
