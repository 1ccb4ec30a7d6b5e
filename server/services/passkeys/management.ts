import type { Client } from "../../client-info.js";
import type { PasskeyInfo } from "../../contracts/passkey.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { deletePasskey, listPasskeys, type Passkey, renamePasskey } from "../../db/repositories/passkeys.js";
import type { User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { AppError, texts } from "../../errors.js";

const notFound = () => new AppError("not_found", texts.notFound);

export function toPasskeyInfo(passkey: Passkey): PasskeyInfo {
  return {
    id: passkey.id,
    name: passkey.name,
    created_at: passkey.createdAt.toISOString(),
    last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
    device_type: passkey.deviceType,
    backed_up: passkey.backedUp,
    transports: passkey.transports,
  };
}

export async function listUserPasskeys(deps: Pick<Deps, "db">, user: User): Promise<PasskeyInfo[]> {
  return (await listPasskeys(deps.db, user.id)).map(toPasskeyInfo);
}

/** Another user's passkey is "not found", as an unknown id is. */
export async function renameUserPasskey(
  deps: Pick<Deps, "db">,
  user: User,
  id: number,
  name: string,
  client: Client,
): Promise<PasskeyInfo> {
  const renamed = await renamePasskey(deps.db, user.id, id, name);
  if (!renamed) throw notFound();
  await recordEvent(deps.db, { event: "passkey_renamed", userId: user.id, ...client, detail: { passkey: id } });
  return toPasskeyInfo(renamed);
}

export async function removeUserPasskey(
  deps: Pick<Deps, "db">,
  user: User,
  id: number,
  client: Client,
): Promise<Record<string, never>> {
  const removed = await deletePasskey(deps.db, user.id, id);
  if (!removed) throw notFound();
  await recordEvent(deps.db, { event: "passkey_removed", userId: user.id, ...client, detail: { passkey: id } });
  return {};
}
