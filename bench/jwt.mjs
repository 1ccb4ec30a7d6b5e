// `node bench/jwt.mjs` (after `npm run build`): the CPU of one HS256 verification
// and one signature of an access token, jose (WebCrypto, on the thread pool)
// against server/crypto/jwt.ts (node:crypto, on the calling thread), one at a
// time and 32 in flight. CPU is the whole process's (process.cpuUsage: every
// thread, user and system), per operation; see bench/README.md.
import { createSecretKey, webcrypto } from "node:crypto";
import { existsSync } from "node:fs";
import { jwtVerify, SignJWT } from "jose";

const built = new URL("../dist/server/crypto/jwt.js", import.meta.url);
if (!existsSync(built)) {
  console.error("dist/ is missing: run `npm run build` first.");
  process.exit(1);
}
const { jwtSigner, verifyJwt } = await import(built.href);

const SECRET = "bench-signing-key-0123456789-0123456789-abcdef";
const OPERATIONS = Number(process.env.JWT_BENCH_OPERATIONS ?? 50_000);
const header = { alg: "HS256", typ: "JWT" };
const claims = {
  token_type: "access",
  exp: Math.floor(Date.now() / 1000) + 3600,
  iat: Math.floor(Date.now() / 1000),
  jti: "0123456789abcdef0123456789abcdef01234567",
  user_id: 42,
  ver: 1,
  amr: ["pwd"],
  auth_time: Math.floor(Date.now() / 1000),
};

const cryptoKey = await webcrypto.subtle.importKey(
  "raw",
  new TextEncoder().encode(SECRET),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["sign", "verify"],
);
const keyObject = createSecretKey(Buffer.from(SECRET));
const sign = jwtSigner(header, keyObject);
const token = await sign(claims);
const keyFor = () => ({ alg: "HS256", key: keyObject });

const cases = {
  "verify, jose": () => jwtVerify(token, cryptoKey, { algorithms: ["HS256"] }),
  "verify, node:crypto": () => verifyJwt(token, keyFor, ["HS256"], Date.now()),
  "sign, jose": () => new SignJWT(claims).setProtectedHeader(header).sign(cryptoKey),
  "sign, node:crypto": () => sign(claims),
};

async function measure(work, inFlight) {
  let started = 0;
  const before = process.cpuUsage();
  const wall = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started < OPERATIONS) {
        started += 1;
        await work();
      }
    }),
  );
  const cpu = process.cpuUsage(before);
  return {
    cpu: (cpu.user + cpu.system) / OPERATIONS,
    system: cpu.system / OPERATIONS,
    wall: ((performance.now() - wall) * 1000) / OPERATIONS,
  };
}

console.log(`| operation | in flight | CPU µs per operation | of which system | wall µs per operation |`);
console.log(`| --- | ---: | ---: | ---: | ---: |`);
for (const [name, work] of Object.entries(cases)) {
  await measure(work, 32); // warm-up
  for (const inFlight of [1, 32]) {
    const { cpu, system, wall } = await measure(work, inFlight);
    console.log(`| ${name} | ${inFlight} | ${cpu.toFixed(1)} | ${system.toFixed(1)} | ${wall.toFixed(1)} |`);
  }
}
