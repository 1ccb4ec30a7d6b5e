import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { routes } from "../../server/http/rest/routes.js";
import { appRouter } from "../../server/routers/app.js";
import { useTestApp } from "../helpers/app.js";
import { http } from "../helpers/http.js";
import { signUp } from "../helpers/users.js";

const app = useTestApp();

/** The top-level field names of a procedure's input, read from its zod schema. */
function inputFields(path: string): string[] {
  const procedure = (appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } }>)[path];
  let schema = procedure?._def.inputs[0] as
    | { _zod?: { def: { type: string; in?: unknown; shape?: object } } }
    | undefined;
  while (schema?._zod?.def.type === "pipe") schema = schema._zod.def.in as typeof schema;
  const shape = schema?._zod?.def.shape;
  return shape ? Object.keys(shape) : [];
}

const nasty = [
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff x",
  "x".repeat(1_000_000),
  "",
  " ",
  "\u202e\u200b",
  "💥".repeat(1000),
  "' OR 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style probe, meant literally.
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
];
const wrongTypes = [null, true, false, 0, -1, 1.5, 1e308, [], ["a"], {}, { a: { b: { c: [1, { d: null }] } } }];

/** Node refuses request heads over 16 KiB (431) and may close the socket while the client still writes. */
const HEAD_LIMIT = 16 * 1024;

/**
 * GET routes take their input from the query string; the others from a JSON
 * body. A URL over Node's header limit is refused by the transport: that, and
 * only that, may end in a closed connection instead of a response.
 */
async function send(method: string, template: string, body: unknown, headers: Record<string, string>) {
  const path = template.replace(":id", "1");
  if (method !== "GET") {
    return http(app().url, method, path, {
      raw: JSON.stringify(body),
      headers: { "content-type": "application/json", ...headers },
    });
  }
  const query = new URLSearchParams();
  if (body && typeof body === "object") {
    for (const [key, value] of Object.entries(body))
      query.append(key, typeof value === "string" ? value : JSON.stringify(value));
  }
  return getWithin(`${path}?${query}`, headers);
}

async function getWithin(pathAndQuery: string, headers: Record<string, string>) {
  try {
    return await http(app().url, "GET", pathAndQuery, { headers });
  } catch (error) {
    if (pathAndQuery.length <= HEAD_LIMIT) throw error;
    // The server refused the oversized head and is still serving.
    expect((await http(app().url, "GET", "/api/token/")).status).toBe(405);
    return { status: 431, headers: new Headers(), text: "", body: undefined };
  }
}

async function expectNo500(method: string, path: string, body: unknown, token?: string) {
  const res = await send(method, path, body, token ? { authorization: `Bearer ${token}` } : {});
  expect([method, path, JSON.stringify(body).slice(0, 80), res.status < 500]).toEqual([
    method,
    path,
    JSON.stringify(body).slice(0, 80),
    true,
  ]);
  return res;
}

// Every route times every kind of garbage: minutes on a loaded machine, seconds on an idle one.
describe("garbage never makes an endpoint answer 500", () => {
  it("every field of every route, with NUL bytes, lone surrogates, 1 MB strings, wrong types and nesting", async () => {
    const { tokens } = await signUp(app());
    for (const route of routes) {
      const fields = inputFields(route.procedure);
      for (const field of fields) {
        for (const value of [...nasty, ...wrongTypes]) {
          const res = await expectNo500(
            route.method,
            route.path,
            { [field]: value },
            route.auth ? tokens.access : undefined,
          );
          expect(res.status).toBeGreaterThanOrEqual(200);
        }
      }
      // Every field at once, for rules that only run when all fields are present.
      for (const value of nasty) {
        await expectNo500(route.method, route.path, Object.fromEntries(fields.map((f) => [f, value])), tokens.access);
      }
    }
  }, 180_000);

  it("arbitrary JSON bodies and Authorization headers (property-based)", async () => {
    const { tokens } = await signUp(app());
    const value = fc.oneof(fc.jsonValue(), fc.constantFrom(...nasty), fc.string({ unit: "binary" }));
    const authorizations = fc.option(
      fc.oneof(
        fc.string(),
        fc.constant(`Bearer ${tokens.access}`),
        fc.string().map((s) => `Bearer ${s}`),
      ),
    );
    const requests = fc.constantFrom(...routes).chain((route) =>
      fc.record({
        route: fc.constant(route),
        // Some of the route's own fields (so the rules behind them run), plus unknown keys.
        fields: fc.record(Object.fromEntries(inputFields(route.procedure).map((field) => [field, value])), {
          requiredKeys: [],
        }),
        extra: fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 4 }),
        authorization: authorizations,
      }),
    );
    await fc.assert(
      fc.asyncProperty(requests, async ({ route, fields, extra, authorization }) => {
        const res = await send(
          route.method,
          route.path,
          { ...extra, ...fields },
          authorization ? { authorization } : {},
        );
        return res.status < 500;
      }),
      { numRuns: 300 },
    );
  });

  it("raw bytes that are not what the Content-Type says", async () => {
    const { tokens } = await signUp(app());
    const bodies: Array<[string, string | Uint8Array]> = [
      ["application/json", "{"],
      ["application/json", new Uint8Array([0xff, 0xfe, 0x00])],
      ["application/json", "[".repeat(10_000)],
      ["application/x-www-form-urlencoded", "%zz=%%&a=%ff"],
      ["multipart/form-data", "--x\r\nnot multipart"],
      ["multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n'],
      ["text/html", "<p>"],
      ["", "{}"],
    ];
    for (const route of routes.filter((r) => r.method !== "GET")) {
      for (const [type, raw] of bodies) {
        const res = await http(app().url, route.method, route.path.replace(":id", "1"), {
          raw,
          headers: { ...(type ? { "content-type": type } : {}), authorization: `Bearer ${tokens.access}` },
        });
        expect([route.path, type, res.status < 500]).toEqual([route.path, type, true]);
      }
    }
  });

  it("the same garbage through tRPC", async () => {
    const { tokens } = await signUp(app());
    for (const route of routes) {
      for (const value of [...nasty, ...wrongTypes]) {
        const input = Object.fromEntries(inputFields(route.procedure).map((f) => [f, value]));
        const headers = { "content-type": "application/json", authorization: `Bearer ${tokens.access}` };
        const res =
          route.method === "GET"
            ? await getWithin(`/trpc/${route.procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, headers)
            : await http(app().url, "POST", `/trpc/${route.procedure}`, { raw: JSON.stringify(input), headers });
        expect([route.procedure, String(value).slice(0, 20), res.status < 500]).toEqual([
          route.procedure,
          String(value).slice(0, 20),
          true,
        ]);
      }
    }
  }, 180_000);
});
