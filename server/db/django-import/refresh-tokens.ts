// The Django import's refresh-token records: a session (refresh_families) and
// its one token each (server/django-import/importer.ts builds the rows).
import { sql } from "kysely";
import type { Executor } from "../connect.js";
import { tally, type Written } from "./written.js";

export interface TokenRow {
  jti: string;
  userId: number;
  familyId: string;
  createdAt: Date;
  expiresAt: Date;
  sessionEnd: Date;
  revokedAt: Date | null;
}

/** A session and its token; a blacklisting seen in a later run revokes both, nothing here is ever un-revoked. */
export async function upsertTokens(db: Executor, tokens: TokenRow[]) {
  const column = <K extends keyof TokenRow>(key: K) => tokens.map((token) => token[key]);
  const rows = sql`unnest(${column("jti")}::varchar[], ${column("userId")}::int[], ${column("familyId")}::varchar[],
                          ${column("createdAt")}::timestamptz[], ${column("expiresAt")}::timestamptz[],
                          ${column("sessionEnd")}::timestamptz[], ${column("revokedAt")}::timestamptz[])
                   as d(jti, user_id, family_id, created_at, expires_at, session_end, revoked_at)`;
  await sql`
    insert into refresh_families as f (id, user_id, created_at, last_used_at, expires_at, revoked_at, revoke_reason)
    select family_id, user_id, created_at, created_at, session_end, revoked_at,
           case when revoked_at is null then null else 'revoked' end
      from ${rows}
    on conflict (id) do update set revoked_at = excluded.revoked_at, revoke_reason = excluded.revoke_reason
    where f.revoked_at is null and excluded.revoked_at is not null`.execute(db);
  const result = await sql<Written>`
    insert into refresh_tokens as t (jti, user_id, family_id, created_at, expires_at, revoked_at, revoke_reason, iat, exp)
    select jti, user_id, family_id, created_at, expires_at, revoked_at,
           case when revoked_at is null then null else 'revoked' end,
           floor(extract(epoch from created_at)), floor(extract(epoch from expires_at))
      from ${rows}
    on conflict (jti) do update set revoked_at = excluded.revoked_at, revoke_reason = excluded.revoke_reason
    where t.revoked_at is null and excluded.revoked_at is not null
    returning (xmax = 0) as inserted`.execute(db);
  return tally(result.rows);
}
