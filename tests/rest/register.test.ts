import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { client, http } from "../helpers/http.js";
import { newAccount } from "../helpers/users.js";

const app = useTestApp();
const api = client(() => app().url);
const REGISTER = "/api/users/register/";

const required = "This field is required.";
const blank = "This field may not be blank.";

describe("POST /api/users/register/", () => {
  it("creates the account: 201 with the public fields, values trimmed", async () => {
    const account = newAccount({ username: `  padded${process.pid}  `, first_name: "   ", last_name: "  Smith  " });
    const res = await api.post(REGISTER, account);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      username: `padded${process.pid}`,
      email: account.email,
      first_name: "",
      last_name: "Smith",
    });
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
    expect(res.text).not.toMatch(/password|argon/i);
  });

  it("accepts form-encoded and multipart bodies, and the path without its trailing slash", async () => {
    const form = newAccount();
    const urlencoded = await http(app().url, "POST", REGISTER, {
      raw: new URLSearchParams(form as Record<string, string>).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(urlencoded.status, urlencoded.text).toBe(201);

    const multipart = new FormData();
    for (const [key, value] of Object.entries(newAccount())) multipart.append(key, String(value));
    const res = await fetch(`${app().url}${REGISTER}`, { method: "POST", body: multipart });
    expect(res.status).toBe(201);

    const bare = await api.post("/api/users/register", newAccount());
    expect(bare.status).toBe(201);
  });

  it("reports every missing key in DRF's field order", async () => {
    const res = await api.post(REGISTER, {});
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      JSON.stringify({
        username: [required],
        password: [required],
        password2: [required],
        email: [required],
        first_name: [required],
        last_name: [required],
      }),
    );
    for (const key of Object.keys(newAccount())) {
      const { [key]: _dropped, ...rest } = newAccount() as Record<string, unknown>;
      const one = await api.post(REGISTER, rest);
      expect([key, one.status, one.body]).toEqual([key, 400, { [key]: [required] }]);
    }
  });

  it("treats an empty body, with or without a Content-Type, as no fields", async () => {
    const withType = await http(app().url, "POST", REGISTER, {
      raw: "",
      headers: { "content-type": "application/json" },
    });
    const withoutType = await http(app().url, "POST", REGISTER);
    for (const res of [withType, withoutType]) {
      expect(res.status).toBe(400);
      expect(Object.keys(res.body)).toHaveLength(6);
    }
  });

  it("refuses blank required fields; names may be blank", async () => {
    for (const key of ["username", "password", "password2", "email"]) {
      const res = await api.post(REGISTER, newAccount({ [key]: "   " }));
      expect([key, res.status, res.body[key]]).toEqual([key, 400, [blank]]);
    }
    const res = await api.post(REGISTER, newAccount({ first_name: "", last_name: "" }));
    expect(res.status).toBe(201);
  });

  it("applies the username rules", async () => {
    const invalid = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
    const bad = async (username: unknown) => (await api.post(REGISTER, newAccount({ username }))).body;
    expect(await bad("john doe")).toEqual({ username: [invalid] });
    expect(await bad("john!")).toEqual({ username: [invalid] });
    expect(await bad("x".repeat(151))).toEqual({ username: ["Ensure this field has no more than 150 characters."] });
    expect(await bad("bad name\u0000")).toEqual({ username: [invalid, "Null characters are not allowed."] });
    for (const ok of [`jöhn${process.pid}`, `用户${process.pid}`, `a.b@c+d-e_f${process.pid}`, "y".repeat(150)]) {
      const res = await api.post(REGISTER, newAccount({ username: ok }));
      expect([ok, res.status]).toEqual([ok, 201]);
    }
  });

  it("keeps usernames case-sensitive and emails unique ignoring case", async () => {
    const first = newAccount();
    expect((await api.post(REGISTER, first)).status).toBe(201);
    const sameName = await api.post(REGISTER, newAccount({ username: first.username }));
    expect(sameName.body).toEqual({ username: ["A user with that username already exists."] });
    const otherCase = await api.post(REGISTER, newAccount({ username: first.username.toUpperCase() }));
    expect(otherCase.status).toBe(201);
    const sameEmail = await api.post(REGISTER, newAccount({ email: first.email.toUpperCase() }));
    expect(sameEmail.body).toEqual({ email: ["A user with that email already exists."] });
  });

  it("validates email addresses like Django", async () => {
    const invalid = { email: ["Enter a valid email address."] };
    for (const email of ["not-an-email", "a@b", "a@b.c", "a b@example.com", "ünï@example.com", "a@-example.com"]) {
      const res = await api.post(REGISTER, newAccount({ email }));
      expect([email, res.status, res.body]).toEqual([email, 400, invalid]);
    }
    const long = await api.post(REGISTER, newAccount({ email: `${"x".repeat(250)}@example.com` }));
    expect(long.body).toEqual({ email: ["Ensure this field has no more than 254 characters."] });
    for (const email of [
      `u${process.pid}@localhost`,
      `ueni${process.pid}@exämple.com`,
      `o'brien${process.pid}@example.co.uk`,
    ]) {
      const res = await api.post(REGISTER, newAccount({ email }));
      expect([email, res.status]).toEqual([email, 201]);
    }
  });

  it("reports every failing password rule at once, and the mismatch only when all else is valid", async () => {
    const password = async (pw: string, pw2 = pw, extra: Record<string, unknown> = {}) =>
      (await api.post(REGISTER, newAccount({ password: pw, password2: pw2, ...extra }))).body;
    expect(await password("1234")).toEqual({
      password: [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
      ],
    });
    expect(await password("12345678")).toEqual({
      password: ["This password is too common.", "This password is entirely numeric."],
    });
    expect(await password("password123")).toEqual({ password: ["This password is too common."] });
    expect(await password("98237465019")).toEqual({ password: ["This password is entirely numeric."] });
    expect(await password("1234", "12345")).toEqual({
      password: [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
      ],
    });
    expect(await password("Str0ng!Passw0rd", "Str0ng!Passw0rD")).toEqual({
      password: ["Password fields didn't match."],
    });
    expect(await password("Str0ng!Passw0rd", "Different!1", { email: "bad" })).toEqual({
      email: ["Enter a valid email address."],
    });
    expect(await password("lovelace42", "lovelace42")).toEqual({
      password: ["The password is too similar to the last name."],
    });
  });

  it("reports errors the way DRF stages them: uniqueness and policy with the other fields, in field order", async () => {
    const first = newAccount();
    expect((await api.post(REGISTER, first)).status).toBe(201);
    const res = await api.post(
      REGISTER,
      newAccount({ username: first.username, password: "1234", password2: "1234", email: "bad" }),
    );
    expect(res.text).toBe(
      JSON.stringify({
        username: ["A user with that username already exists."],
        password: [
          "This password is too short. It must contain at least 8 characters.",
          "This password is too common.",
          "This password is entirely numeric.",
        ],
        email: ["Enter a valid email address."],
      }),
    );
    const { email: _missing, ...withoutEmail } = newAccount({ password: "qwertyuiop", password2: "qwertyuiop" });
    expect((await api.post(REGISTER, withoutEmail)).text).toBe(
      JSON.stringify({ password: ["This password is too common."], email: ["This field is required."] }),
    );
    // The mismatch comes from DRF's validate(), which runs only when every field passed.
    const mismatchAndTaken = await api.post(
      REGISTER,
      newAccount({ email: first.email.toUpperCase(), password2: "Other-Str0ng-Pass" }),
    );
    expect(mismatchAndTaken.body).toEqual({ email: ["A user with that email already exists."] });
  });

  it("trims what Python's str.strip() trims, and nothing else", async () => {
    const account = newAccount();
    const res = await api.post(REGISTER, {
      ...account,
      username: `\u0085${account.username}\u001f`,
      first_name: "\u2003Grace\u3000",
      // Python keeps U+FEFF; JavaScript's trim() would drop it. (Trailing: embedded PGlite drops a leading one on read.)
      last_name: "Hopper\ufeff",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: account.username, first_name: "Grace", last_name: "Hopper\ufeff" });
  });

  it("escapes U+2028 and U+2029 in JSON as DRF does", async () => {
    const res = await api.post(REGISTER, newAccount({ first_name: "a\u2028b\u2029c" }));
    expect(res.status).toBe(201);
    expect(res.text).toContain('"first_name":"a\\u2028b\\u2029c"');
  });

  it("answers wrong JSON types with DRF's messages; numbers are taken as their text, as DRF does", async () => {
    for (const key of ["username", "password", "email", "first_name"]) {
      // DRF's EmailField calls any non-text value an invalid address.
      const notText = key === "email" ? "Enter a valid email address." : "Not a valid string.";
      for (const [value, message] of [
        [true, notText],
        [["a"], notText],
        [{ a: 1 }, notText],
        [null, "This field may not be null."],
      ] as const) {
        const res = await api.post(REGISTER, newAccount({ [key]: value }));
        expect([key, value, res.status, res.body[key]]).toEqual([key, value, 400, [message]]);
      }
    }
    const numeric = Number(`9${String(process.pid).padStart(7, "0")}`);
    const res = await api.post(REGISTER, newAccount({ username: numeric }));
    expect([res.status, res.body.username]).toEqual([201, String(numeric)]);
  });

  it("answers a body that is not an object with a non-field error", async () => {
    const cases: Array<[string, string]> = [
      ["[1,2]", "Invalid data. Expected a dictionary, but got list."],
      ['"text"', "Invalid data. Expected a dictionary, but got str."],
      ["42", "Invalid data. Expected a dictionary, but got int."],
      ["null", "No data provided"],
    ];
    for (const [raw, message] of cases) {
      const res = await http(app().url, "POST", REGISTER, { raw, headers: { "content-type": "application/json" } });
      expect([raw, res.status, res.body]).toEqual([raw, 400, { non_field_errors: [message] }]);
    }
  });

  it("refuses NUL bytes and lone surrogates in every field, and over-long names", async () => {
    for (const key of ["username", "password", "password2", "email", "first_name", "last_name"]) {
      const nul = await api.post(REGISTER, newAccount({ [key]: "ab\u0000cd" }));
      expect([key, nul.status]).toEqual([key, 400]);
      expect(nul.body[key]).toContain("Null characters are not allowed.");
      // A lone surrogate can only be sent as a JSON escape.
      const surrogate = await http(app().url, "POST", REGISTER, {
        raw: JSON.stringify(newAccount()).replace(`"${key}":"`, `"${key}":"\\ud800`),
        headers: { "content-type": "application/json" },
      });
      expect([key, surrogate.status]).toEqual([key, 400]);
      expect(surrogate.body[key]).toContain("Surrogate characters are not allowed: U+D800.");
    }
    const long = await api.post(REGISTER, newAccount({ first_name: "x".repeat(102_400) }));
    expect(long.body).toEqual({ first_name: ["Ensure this field has no more than 150 characters."] });
  });

  it("answers malformed JSON, foreign media types and other methods like DRF", async () => {
    const malformed = await http(app().url, "POST", REGISTER, {
      raw: "{'a': 1}",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toMatch(/^JSON parse error - /);

    const badUtf8 = await http(app().url, "POST", REGISTER, {
      raw: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      headers: { "content-type": "application/json" },
    });
    expect(badUtf8.status).toBe(400);

    for (const type of ["text/plain", "application/xml", "application/vnd.api+json"]) {
      const res = await http(app().url, "POST", REGISTER, { raw: "x", headers: { "content-type": type } });
      expect([res.status, res.body]).toEqual([415, { detail: `Unsupported media type "${type}" in request.` }]);
    }
    const upper = await http(app().url, "POST", REGISTER, {
      raw: JSON.stringify(newAccount()),
      headers: { "content-type": "APPLICATION/JSON; charset=utf-8" },
    });
    expect(upper.status).toBe(201);

    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      const res = await api.request(method, REGISTER);
      expect([method, res.status, res.body]).toEqual([method, 405, { detail: `Method "${method}" not allowed.` }]);
      expect(res.headers.get("allow")).toBe("POST, OPTIONS");
    }
  });
});
