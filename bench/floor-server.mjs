// The floor: the least work that can serve the benchmarked contract paths with
// our semantics. node:http, JSON, jose HS256, Argon2id, node:cluster, and one
// pg statement per request with the token user's state (exists, active, same
// token version) checked inside it (two for a login: the hash must be read
// before it is checked). Verify of an access token does the one user lookup
// that "verify tells the truth" needs.
// Env: DATABASE_URL, PORT, HOST, WEB_CONCURRENCY, JWT_SIGNING_KEY,
// ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME, SESSION_MAX_LIFETIME, and
// FLOOR_JWT=node: HS256 with node:crypto's HMAC on the main thread, as ours
// computes it, instead of jose's (WebCrypto, on the thread pool), which the
// shared harness's floor uses and this one does by default.
import cluster from "node:cluster";
import { createHmac, randomBytes, timingSafeEqual, webcrypto } from "node:crypto";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";
import { verify as argon2Verify } from "@node-rs/argon2";
import { jwtVerify, SignJWT } from "jose";
import pg from "pg";

const env = process.env;
const workers = Number(env.WEB_CONCURRENCY ?? availableParallelism());

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  cluster.on("exit", () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
} else {
  await serve();
}

async function serve() {
  const accessLifetime = Number(env.ACCESS_TOKEN_LIFETIME ?? 300);
  const refreshLifetime = Number(env.REFRESH_TOKEN_LIFETIME ?? 86400);
  const sessionLifetime = Number(env.SESSION_MAX_LIFETIME ?? 30 * 86400);
  const key = await webcrypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(env.JWT_SIGNING_KEY),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  pg.types.setTypeParser(20, Number);
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });
  pool.on("error", () => {});
  // Named statements, prepared once per connection as ours are: planning every
  // statement again is not work our semantics require.
  const names = new Map();
  const query = (text, values) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `floor${names.size}`;
      names.set(text, name);
    }
    return pool.query({ name, text, values });
  };

  const hex = (bytes) => randomBytes(bytes).toString("hex");
  // FLOOR_JWT=node: the one header this floor signs, an HMAC, and `exp`; nothing else is checked.
  const nodeJwt = env.FLOOR_JWT === "node";
  const HEADER = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
  const mac = (input) => createHmac("sha256", env.JWT_SIGNING_KEY).update(input).digest("base64url");
  const signNode = (claims) => {
    const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    return `${input}.${mac(input)}`;
  };
  const verifyNode = (token) => {
    const [header, payload, signature = "", extra] = token.split(".");
    if (header !== HEADER || payload === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(mac(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    return typeof claims.exp === "number" && claims.exp > Date.now() / 1000 ? claims : undefined;
  };

  const sign = async (type, userId, jti) => {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + (type === "access" ? accessLifetime : refreshLifetime);
    const claims = { token_type: type, exp, iat, jti, user_id: userId };
    const token = nodeJwt
      ? signNode(claims)
      : await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
    return { token, exp };
  };
  const verify = async (token, type) => {
    try {
      const payload = nodeJwt ? verifyNode(token) : (await jwtVerify(token, key, { algorithms: ["HS256"] })).payload;
      if (!payload || (type && payload.token_type !== type)) return undefined;
      return payload;
    } catch {
      return undefined;
    }
  };

  const createdAt = (column) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at`;
  // Our rule for an access token: its user is active, at the same token
  // version, and the session its jti names ($3) has not ended.
  const LIVE_USER = `u.is_active and u.token_version = $2 and exists (
    select 1 from refresh_families f
     where f.id = $3 and f.user_id = u.id and f.revoked_at is null and f.expires_at > now())`;
  const userParams = (claims) => [claims.user_id, claims.ver ?? 0, String(claims.jti).slice(0, 24)];
  const toTask = (row) => ({
    id: row.id,
    title: row.title,
    description: row.description,
    is_completed: row.is_completed,
    created_at: row.created_at.replace(".000000Z", "Z"),
    owner: row.owner_id,
  });
  const notValid = [401, { detail: "Given token not valid for any token type", code: "token_not_valid" }];
  const bearer = (req) => {
    const header = req.headers.authorization ?? "";
    return header.startsWith("Bearer ") ? verify(header.slice(7), "access") : undefined;
  };

  const routes = {
    async "POST /api/token"(body, req) {
      if (typeof body.username !== "string" || typeof body.password !== "string") return [400, {}];
      const { rows } = await query("select id, password_hash, is_active from users where username = $1", [
        body.username,
      ]);
      const user = rows[0];
      const ok = user?.is_active && (await argon2Verify(user.password_hash, body.password).catch(() => false));
      if (!ok) return [401, { detail: "No active account found with the given credentials" }];
      const family = hex(12);
      const jti = hex(16);
      const [refresh, access] = await Promise.all([
        sign("refresh", user.id, jti),
        sign("access", user.id, family + hex(8)),
      ]);
      await query(
        `with family as (
           insert into refresh_families (id, user_id, expires_at, user_agent, ip) values ($1, $2, $3, $4, $5)
         ) insert into refresh_tokens (jti, user_id, family_id, expires_at) values ($6, $2, $1, $7)`,
        [
          family,
          user.id,
          new Date(Date.now() + sessionLifetime * 1000),
          req.headers["user-agent"] ?? null,
          req.socket.remoteAddress ?? null,
          jti,
          new Date(refresh.exp * 1000),
        ],
      );
      return [200, { refresh: refresh.token, access: access.token }];
    },

    // Consumes the presented jti and stores its successor in one statement.
    async "POST /api/token/refresh"(body) {
      const claims = typeof body.refresh === "string" && (await verify(body.refresh, "refresh"));
      if (!claims) return notValid;
      const jti = hex(16);
      const refresh = await sign("refresh", claims.user_id, jti);
      const { rows } = await query(
        `with consumed as (
           update refresh_tokens t set revoked_at = now(), revoke_reason = 'rotated'
           from refresh_families f join users u on u.id = f.user_id
           where t.jti = $1 and t.revoked_at is null and f.id = t.family_id
             and f.revoked_at is null and f.expires_at > now() and u.is_active
           returning t.user_id, t.family_id, f.expires_at
         )
         insert into refresh_tokens (jti, user_id, family_id, expires_at)
         select $2, user_id, family_id, least($3::timestamptz, expires_at) from consumed
         returning family_id`,
        [claims.jti, jti, new Date(refresh.exp * 1000)],
      );
      if (rows.length === 0) return [401, { detail: "Token is blacklisted", code: "token_not_valid" }];
      const access = await sign("access", claims.user_id, rows[0].family_id + hex(8));
      return [200, { access: access.token, refresh: refresh.token }];
    },

    async "POST /api/token/verify"(body) {
      const claims = typeof body.token === "string" && (await verify(body.token));
      const invalid = [401, { detail: "Token is invalid or expired", code: "token_not_valid" }];
      if (!claims) return invalid;
      if (claims.token_type === "refresh") {
        const { rows } = await query("select revoked_at from refresh_tokens where jti = $1", [claims.jti]);
        if (rows.length === 0 || rows[0].revoked_at) return [401, { detail: "Token is blacklisted" }];
        return [200, {}];
      }
      const { rows } = await query(`select 1 from users u where u.id = $1 and ${LIVE_USER}`, userParams(claims));
      return rows.length === 0 ? invalid : [200, {}];
    },

    async "GET /api/users/profile"(_body, req) {
      const claims = await bearer(req);
      if (!claims) return notValid;
      const { rows } = await query(
        `select id, username, email, first_name, last_name from users u where u.id = $1 and ${LIVE_USER}`,
        userParams(claims),
      );
      return rows[0] ? [200, rows[0]] : notValid;
    },

    async "GET /api/tasks"(_body, req) {
      const claims = await bearer(req);
      if (!claims) return notValid;
      const { rows } = await query(
        `select t.id, t.title, t.description, t.is_completed, t.owner_id, ${createdAt("t.created_at")}
         from users u left join tasks t on t.owner_id = u.id
         where u.id = $1 and ${LIVE_USER} order by t.id`,
        userParams(claims),
      );
      if (rows.length === 0) return notValid;
      return [200, rows[0].id === null ? [] : rows.map(toTask)];
    },

    async "POST /api/tasks"(body, req) {
      const claims = await bearer(req);
      if (!claims) return notValid;
      if (typeof body.title !== "string" || body.title.trim() === "" || body.title.length > 255) {
        return [400, { title: ["This field is required."] }];
      }
      const { rows } = await query(
        `insert into tasks (owner_id, title, description, is_completed)
         select u.id, $4, $5, $6 from users u where u.id = $1 and ${LIVE_USER}
         returning id, title, description, is_completed, owner_id, ${createdAt("created_at")}`,
        [...userParams(claims), body.title, body.description ?? "", body.is_completed === true],
      );
      return rows[0] ? [201, toTask(rows[0])] : notValid;
    },
  };

  const HEADERS = {
    "Content-Type": "application/json",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
  };
  const reply = (res, status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...HEADERS, "Content-Length": Buffer.byteLength(text) });
    res.end(text);
  };

  const server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0].replace(/\/$/, "");
    const route = routes[`${req.method} ${path}`];
    if (!route) {
      const known = Object.keys(routes).some((name) => name.endsWith(` ${path}`));
      reply(res, known ? 405 : 404, { detail: known ? `Method "${req.method}" not allowed.` : "Not found." });
      return;
    }
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const raw = Buffer.concat(chunks).toString();
      const [status, body] = await route(raw ? JSON.parse(raw) : {}, req);
      reply(res, status, body);
    } catch (error) {
      reply(res, error instanceof SyntaxError ? 400 : 500, { detail: String(error) });
    }
  });
  server.listen(Number(env.PORT ?? 8000), env.HOST);
  process.on("SIGTERM", () => {
    server.close(() => pool.end().then(() => process.exit(0)));
    server.closeAllConnections();
  });
}
