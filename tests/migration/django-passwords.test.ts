import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isDjangoHash, verifyDjangoPassword } from "../../server/services/django-passwords.js";
import { fastHasher } from "../helpers/app.js";

interface Fixture {
  algorithm: string;
  password: string | null;
  encoded: string;
}

// Made by Django's own make_password (scrypt: Django 4's algorithm; see the fixture's README).
const fixtures: Fixture[] = JSON.parse(
  readFileSync(new URL("../fixtures/django/password-hashes.json", import.meta.url), "utf8"),
);
const usable = fixtures.filter((fixture): fixture is Fixture & { password: string } => fixture.password !== null);

describe("Django password hashes", () => {
  it("covers every format the issue names", () => {
    expect(new Set(fixtures.map((fixture) => fixture.algorithm))).toEqual(
      new Set(["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "scrypt", "unusable"]),
    );
  });

  for (const fixture of usable) {
    it(`${fixture.encoded.slice(0, 40)}… verifies its password and nothing else`, async () => {
      expect(isDjangoHash(fixture.encoded)).toBe(true);
      expect(await verifyDjangoPassword(fixture.encoded, fixture.password)).toBe(true);
      expect(await verifyDjangoPassword(fixture.encoded, `${fixture.password}x`)).toBe(false);
      if (fixture.password !== "") {
        expect(await verifyDjangoPassword(fixture.encoded, fixture.password.slice(0, -1))).toBe(false);
      }
      // The server's hasher takes it as it is, and asks for an Argon2id replacement.
      expect(await fastHasher.verify(fixture.encoded, fixture.password)).toBe(true);
      expect(fastHasher.needsRehash(fixture.encoded)).toBe(true);
    });
  }

  it("hashes the password as typed, as Django does: no Unicode normalisation", async () => {
    const ligature = usable.find((fixture) => fixture.password === "ﬁnal-Å-²");
    expect(ligature).toBeDefined();
    if (!ligature) return;
    expect(await verifyDjangoPassword(ligature.encoded, ligature.password.normalize("NFKC"))).toBe(false);
  });

  it("never verifies unusable passwords, tampered hashes or absurd work factors", async () => {
    for (const fixture of fixtures.filter((f) => f.password === null)) {
      expect(fixture.encoded.startsWith("!")).toBe(true);
      expect(isDjangoHash(fixture.encoded)).toBe(false);
      for (const guess of ["", "!", fixture.encoded, fixture.encoded.slice(1)]) {
        expect(await fastHasher.verify(fixture.encoded, guess)).toBe(false);
      }
    }
    const sample = usable.find(
      (fixture) => fixture.algorithm === "pbkdf2_sha256" && fixture.encoded.includes("$1000$"),
    );
    if (!sample) throw new Error("fixture missing");
    const [algorithm, , salt, hash] = sample.encoded.split("$");
    expect(await verifyDjangoPassword(`${algorithm}$1001$${salt}$${hash}`, sample.password)).toBe(false);
    expect(await verifyDjangoPassword(`${algorithm}$1000$${salt}x$${hash}`, sample.password)).toBe(false);
    expect(await verifyDjangoPassword(`${algorithm}$99999999999$${salt}$${hash}`, sample.password)).toBe(false);
    expect(await verifyDjangoPassword(`${algorithm}$1000$${salt}$not base64!`, sample.password)).toBe(false);
    expect(await verifyDjangoPassword("md5$salt$0123", "anything")).toBe(false);
    expect(await verifyDjangoPassword("scrypt$3$salt$8$1$AAAA", "anything")).toBe(false);
    expect(await verifyDjangoPassword("bcrypt_sha256$x$2b$04$broken", "anything")).toBe(false);
    // A well-formed bcrypt hash at cost 31 would hold a hashing slot for about a day.
    const slowest = `$2b$31$${"a".repeat(22)}${"b".repeat(31)}`;
    expect(await verifyDjangoPassword(`bcrypt_sha256$${slowest}`, "anything")).toBe(false);
    expect(await verifyDjangoPassword(`bcrypt$${slowest}`, "anything")).toBe(false);
    expect(await verifyDjangoPassword("argon2$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x")).toBe(false);
    expect(await verifyDjangoPassword("argon2$argon2id$v=19$t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x")).toBe(false);
  });

  it("does not ask to rehash its own current Argon2id hashes", async () => {
    const own = await fastHasher.hash("Correct-Horse-9-Battery");
    expect(fastHasher.needsRehash(own)).toBe(false);
    expect(await fastHasher.verify(own, "Correct-Horse-9-Battery")).toBe(true);
  });
});
