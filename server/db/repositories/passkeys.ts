import { sql } from "kysely";
import type { Executor } from "../connect.js";

export interface Passkey {
  id: number;
  userId: number;
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
  userHandle: Uint8Array;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const columns = [
  "id",
  "user_id",
  "credential_id",
  "public_key",
  "counter",
  "transports",
  "device_type",
  "backed_up",
  "user_handle",
  "name",
  "created_at",
  "last_used_at",
] as const;

type Row = {
  id: number;
  user_id: number;
  credential_id: string;
  public_key: Uint8Array;
  counter: number;
  transports: string;
  device_type: string;
  backed_up: boolean;
  user_handle: Uint8Array;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
};

function toPasskey(row: Row): Passkey {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: row.transports === "" ? [] : row.transports.split(","),
    deviceType: row.device_type === "multiDevice" ? "multiDevice" : "singleDevice",
    backedUp: row.backed_up,
    userHandle: row.user_handle,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export interface NewPasskey {
  userId: number;
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  aaguid: string;
  userHandle: Uint8Array;
  name: string;
}

/** Throws the unique violation `passkeys_credential_id_key` for a credential registered already. */
export async function insertPasskey(db: Executor, passkey: NewPasskey): Promise<Passkey> {
  const row = await db
    .insertInto("passkeys")
    .values({
      user_id: passkey.userId,
      credential_id: passkey.credentialId,
      public_key: passkey.publicKey,
      counter: passkey.counter,
      transports: passkey.transports.join(","),
      device_type: passkey.deviceType,
      backed_up: passkey.backedUp,
      aaguid: passkey.aaguid,
      user_handle: passkey.userHandle,
      name: passkey.name,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toPasskey(row);
}

export async function listPasskeys(db: Executor, userId: number): Promise<Passkey[]> {
  const rows = await db.selectFrom("passkeys").select(columns).where("user_id", "=", userId).orderBy("id").execute();
  return rows.map(toPasskey);
}

export async function countPasskeys(db: Executor, userId: number): Promise<number> {
  const row = await db
    .selectFrom("passkeys")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("user_id", "=", userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findPasskeyByCredentialId(db: Executor, credentialId: string): Promise<Passkey | undefined> {
  const row = await db
    .selectFrom("passkeys")
    .select(columns)
    .where("credential_id", "=", credentialId)
    .executeTakeFirst();
  return row && toPasskey(row);
}

/**
 * Records a use whose counter was verified against `expectedCounter`: stored
 * only if the row still holds that counter (compare and set), so of two
 * assertions verified against one counter value, one is refused.
 */
export async function recordPasskeyUse(
  db: Executor,
  id: number,
  expectedCounter: number,
  newCounter: number,
  backedUp: boolean,
): Promise<boolean> {
  const result = await db
    .updateTable("passkeys")
    .set({ counter: newCounter, backed_up: backedUp, last_used_at: sql`now()` })
    .where("id", "=", id)
    .where("counter", "=", expectedCounter)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function renamePasskey(
  db: Executor,
  userId: number,
  id: number,
  name: string,
): Promise<Passkey | undefined> {
  const row = await db
    .updateTable("passkeys")
    .set({ name })
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .returning(columns)
    .executeTakeFirst();
  return row && toPasskey(row);
}

export async function deletePasskey(db: Executor, userId: number, id: number): Promise<Passkey | undefined> {
  const row = await db
    .deleteFrom("passkeys")
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .returning(columns)
    .executeTakeFirst();
  return row && toPasskey(row);
}

export async function deleteAllPasskeys(db: Executor, userId: number): Promise<number> {
  const result = await db.deleteFrom("passkeys").where("user_id", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The handle the user's authenticators already know, if any passkey of theirs is left. */
export async function findUserHandle(db: Executor, userId: number): Promise<Uint8Array | undefined> {
  const row = await db
    .selectFrom("passkeys")
    .select("user_handle")
    .where("user_id", "=", userId)
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row?.user_handle;
}
