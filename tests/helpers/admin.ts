import { createAccount } from "../../server/services/users.js";
import type { TestApp } from "./app.js";
import { STRONG_PASSWORD } from "./users.js";

type Caller = ReturnType<TestApp["caller"]>;
type RegistrationOptions = Awaited<ReturnType<Caller["passkey"]["registrationOptions"]>>;
/** What a browser's `credential.toJSON()` gives after navigator.credentials.create(options). */
type CreatedCredential = Parameters<Caller["passkey"]["register"]>[0]["credential"];

let counter = 0;

/** A staff account (superuser unless told otherwise), made as `createsuperuser` makes one. */
export async function createStaff(app: TestApp, options: { superuser?: boolean; username?: string } = {}) {
  counter += 1;
  const username = options.username ?? `staff${counter}_${process.pid}`;
  const user = await createAccount(
    app.app.deps,
    {
      username,
      email: `${username.replace(/[^\w]/g, "")}${counter}@staff.example.com`,
      password: STRONG_PASSWORD,
      is_staff: true,
      is_superuser: options.superuser ?? true,
    },
    { event: "user_created", by: "test" },
  );
  return { user, username, password: STRONG_PASSWORD };
}

/**
 * Registers a passkey for an account through the API's procedures, as its
 * owner would: `create` is the authenticator (software or a browser's). The
 * caller stays signed in, for the account's other factors.
 */
export async function registerPasskey(
  app: TestApp,
  username: string,
  create: (options: RegistrationOptions) => CreatedCredential | Promise<CreatedCredential>,
) {
  const tokens = await app.caller().auth.obtainToken({ username, password: STRONG_PASSWORD });
  const caller = app.caller(`Bearer ${tokens.access}`);
  const options = await caller.passkey.registrationOptions();
  const passkey = await caller.passkey.register({ name: "Console key", credential: await create(options) });
  return { passkey, caller };
}

/** The console over plain HTTP, as a browser would use it: a cookie jar, forms with their CSRF token. */
export function consoleClient(base: string) {
  const jar = new Map<string, string>();
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const value = pair.slice(at + 1);
      if (/Max-Age=0(;|$)/.test(line) || value === "") jar.delete(pair.slice(0, at));
      else jar.set(pair.slice(0, at), value);
    }
    return response;
  };
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  return {
    jar,
    async get(path: string) {
      const response = remember(await fetch(`${base}${path}`, { headers: { cookie: cookie() }, redirect: "manual" }));
      return { response, text: await response.text() };
    },
    async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
      const response = remember(
        await fetch(`${base}${path}`, {
          method: "POST",
          headers: {
            cookie: cookie(),
            "content-type": "application/x-www-form-urlencoded",
            origin: base,
            ...headers,
          },
          body: new URLSearchParams(fields).toString(),
          redirect: "manual",
        }),
      );
      return { response, text: await response.text() };
    },
  };
}

/** The CSRF token in a page's forms. */
export function csrfOf(page: string): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!token) throw new Error("no CSRF token on the page");
  return token;
}

/** Signs in over HTTP; the client then holds the console session. */
export async function signInOverHttp(base: string, username: string, password: string) {
  const console = consoleClient(base);
  const form = await console.get("/admin/login");
  const answer = await console.post("/admin/login", { csrf: csrfOf(form.text), username, password });
  return { console, answer };
}
