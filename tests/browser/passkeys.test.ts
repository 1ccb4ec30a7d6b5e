import { createServer, type Server } from "node:http";
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from "playwright-core";
import decodeQR from "qr/decode.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { addVirtualAuthenticator, CHROMIUM_ARGS, chromiumPath } from "../helpers/chromium.js";
import { ageSession } from "../helpers/mfa.js";
import { freePort } from "../helpers/smtp.js";
import { decodePayload } from "../helpers/tokens.js";
import { STRONG_PASSWORD, signUp } from "../helpers/users.js";

/**
 * Passkeys end to end in Chromium: a page on http://localhost:<port> (a secure
 * context) runs the ceremonies against the REST API with Chromium's virtual
 * authenticator (DevTools protocol, WebAuthn domain), as a frontend on its own
 * origin would.
 */

/** The frontend: calls the API cross-origin (CORS), and WebAuthn with the browser's JSON helpers. */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>passkeys</title></head><body>
<script>
const api = new URL(location.href).searchParams.get("api");
async function call(path, body, token) {
  const response = await fetch(api + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
    body: JSON.stringify(body ?? {}),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}
window.registerPasskey = async (token, name) => {
  const options = await call("/api/passkeys/register/options/", {}, token);
  if (options.status !== 200) return options;
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.body),
  });
  return call("/api/passkeys/", { name, credential: credential.toJSON() }, token);
};
window.signIn = async () => {
  const options = await call("/api/token/passkey/options/");
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.body),
  });
  return call("/api/token/passkey/", { credential: credential.toJSON() });
};
async function assert(options) {
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  });
  return credential.toJSON();
}
window.passwordThenPasskey = async (username, password) => {
  const first = await call("/api/token/", { username, password });
  if (first.status !== 401 || first.body.code !== "mfa_required") return { first };
  const options = await call("/api/token/mfa/passkey/options/", { mfa_token: first.body.mfa_token });
  const credential = await assert(options.body);
  const second = await call("/api/token/mfa/", { mfa_token: first.body.mfa_token, method: "passkey", credential });
  return { first, second };
};
window.reauthenticate = async (token) => {
  const options = await call("/api/token/reauthenticate/passkey/options/", {}, token);
  return call("/api/token/reauthenticate/", { credential: await assert(options.body) }, token);
};
window.pixels = async (svg, size) => {
  const image = new Image();
  image.src = "data:image/svg+xml;base64," + btoa(svg);
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size, size);
  context.imageSmoothingEnabled = false;
  context.drawImage(image, 0, 0, size, size);
  return Array.from(context.getImageData(0, 0, size, size).data);
};
</script></body></html>`;

async function servePage(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

let pagePort: number;
let otherPort: number;
beforeAll(async () => {
  pagePort = await freePort();
  otherPort = await freePort();
});

const app = useTestApp({
  env: () => ({
    WEBAUTHN_ORIGINS: `http://localhost:${pagePort}`,
    CORS_ALLOWED_ORIGINS: `http://localhost:${pagePort},http://localhost:${otherPort}`,
  }),
});

let browser: Browser;
let pages: Server[];
beforeAll(async () => {
  pages = [await servePage(pagePort), await servePage(otherPort)];
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  for (const server of pages ?? []) await new Promise((resolve) => server.close(resolve));
});

interface Frontend {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/** A browser profile with one platform authenticator that keeps discoverable credentials and verifies its user. */
async function frontend(port = pagePort): Promise<Frontend> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);
  await page.goto(`http://localhost:${port}/?api=${encodeURIComponent(app().url)}`);
  return { context, page, cdp, authenticatorId };
}

type Answer = { status: number; body: any };
const registerIn = (f: Frontend, token: string, name: string) =>
  f.page.evaluate(([t, n]) => (globalThis as any).registerPasskey(t, n), [token, name]) as Promise<Answer>;
const signInIn = (f: Frontend) => f.page.evaluate(() => (globalThis as any).signIn()) as Promise<Answer>;
const credentialsOf = async (f: Frontend) =>
  (await f.cdp.send("WebAuthn.getCredentials", { authenticatorId: f.authenticatorId })).credentials;

describe("passkeys in Chromium with a virtual authenticator", () => {
  it("registers a discoverable passkey, then signs in with it without a username", async () => {
    const { user, tokens } = await signUp(app());
    const f = await frontend();
    try {
      const registered = await registerIn(f, tokens.access, "Chromium");
      expect(registered.status).toBe(201);
      expect(registered.body).toMatchObject({
        name: "Chromium",
        device_type: "singleDevice",
        transports: ["internal"],
      });
      const [credential] = await credentialsOf(f);
      expect(credential?.isResidentCredential).toBe(true);
      expect(credential?.rpId).toBe("localhost");
      expect(Buffer.from(credential?.credentialId ?? "", "base64").toString("base64url")).toBe(
        (
          await app()
            .db.db.selectFrom("passkeys")
            .select("credential_id")
            .where("user_id", "=", user.id)
            .executeTakeFirstOrThrow()
        ).credential_id,
      );

      const first = await signInIn(f);
      expect(first.status).toBe(200);
      const me = await fetch(`${app().url}/api/users/profile/`, {
        headers: { authorization: `Bearer ${first.body.access}` },
      });
      expect(((await me.json()) as { id: number }).id).toBe(user.id);

      // The authenticator keeps a signature counter; the server follows it.
      await signInIn(f);
      const [after] = await credentialsOf(f);
      const stored = await app()
        .db.db.selectFrom("passkeys")
        .select(["counter", "last_used_at"])
        .where("user_id", "=", user.id)
        .executeTakeFirstOrThrow();
      expect(Number(stored.counter)).toBe(after?.signCount);
      expect(after?.signCount).toBeGreaterThanOrEqual(2);
      expect(stored.last_used_at).not.toBeNull();
    } finally {
      await f.context.close();
    }
  });

  it("refuses a passkey that was removed, and ceremonies run from an origin that is not configured", async () => {
    const { tokens } = await signUp(app());
    const f = await frontend();
    try {
      const registered = await registerIn(f, tokens.access, "Soon gone");
      expect(registered.status).toBe(201);
      const removed = await fetch(`${app().url}/api/passkeys/${registered.body.id}/`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${tokens.access}` },
      });
      expect(removed.status).toBe(204);
      expect(await signInIn(f)).toEqual({ status: 401, body: { detail: "Passkey sign-in failed." } });
    } finally {
      await f.context.close();
    }

    // Same RP ID (localhost), another port: a browser allows it, the server's origin list does not.
    const elsewhere = await frontend(otherPort);
    try {
      const refused = await registerIn(elsewhere, tokens.access, "Elsewhere");
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe("passkey_invalid");
      expect(refused.body.detail).toContain(`http://localhost:${otherPort}`);
      expect(await credentialsOf(elsewhere)).toHaveLength(1);
      expect((await signInIn(elsewhere)).status).toBe(401);
    } finally {
      await elsewhere.context.close();
    }
  });

  it("a passkey is the second step after the password, and reauthenticates for step-up", async () => {
    const { account, tokens } = await signUp(app());
    const f = await frontend();
    try {
      expect((await registerIn(f, tokens.access, "Second step")).status).toBe(201);
      const { first, second } = (await f.page.evaluate(
        ([u, p]) => (globalThis as any).passwordThenPasskey(u, p),
        [account.username, STRONG_PASSWORD],
      )) as { first: Answer; second: Answer };
      expect([first.status, first.body.code, first.body.methods]).toEqual([401, "mfa_required", ["passkey"]]);
      expect(second.status).toBe(200);
      expect(decodePayload(second.body.access).amr).toEqual(["pwd", "hwk", "user", "mfa"]);

      const stale = await ageSession(app(), second.body.refresh, 3600);
      const refused = await fetch(`${app().url}/api/mfa/totp/setup/`, {
        method: "POST",
        headers: { authorization: `Bearer ${stale.access}` },
      });
      expect(refused.status).toBe(403);
      const fresh = (await f.page.evaluate((t) => (globalThis as any).reauthenticate(t), stale.access)) as Answer;
      expect(fresh.status).toBe(200);
      const setup = await fetch(`${app().url}/api/mfa/totp/setup/`, {
        method: "POST",
        headers: { authorization: `Bearer ${fresh.body.access}` },
      });
      expect(setup.status).toBe(200);
    } finally {
      await f.context.close();
    }
  });

  it("draws a TOTP QR code that scans back to its otpauth URI", async () => {
    const { tokens } = await signUp(app());
    const setup = await fetch(`${app().url}/api/mfa/totp/setup/`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.access}` },
    });
    expect(setup.status).toBe(200);
    const { qr_svg: svg, otpauth_uri: uri } = (await setup.json()) as { qr_svg: string; otpauth_uri: string };
    const f = await frontend();
    try {
      const size = 400;
      const data = await f.page.evaluate(([s, n]) => (globalThis as any).pixels(s, n), [svg, size] as const);
      expect(decodeQR({ width: size, height: size, data: Uint8Array.from(data as number[]) })).toBe(uri);
    } finally {
      await f.context.close();
    }
  });
});
