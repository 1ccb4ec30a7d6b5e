import type { Procedures } from "./generated/api.js";
import type { TokenStorage } from "./storage.js";

/** The signed-in user's profile, as `user.me` answers it. */
export type User = Procedures["user.me"]["output"];

/** The session as storage keeps it, and as one tab tells the others. */
export interface Stored {
  access: string;
  /** Absent in cookie mode. */
  refresh?: string | undefined;
  user: User | null;
}

/** A stored session (earlier versions of the SDK kept no profile: `user` is null then), or null for anything else. */
export function parseStored(value: unknown): Stored | null {
  if (typeof value !== "object" || value === null) return null;
  const { access, refresh, user } = value as { access?: unknown; refresh?: unknown; user?: unknown };
  if (typeof access !== "string") return null;
  if (refresh !== undefined && typeof refresh !== "string") return null;
  const profile =
    typeof user === "object" && user !== null && typeof (user as User).id === "number" ? (user as User) : null;
  return refresh === undefined ? { access, user: profile } : { access, refresh, user: profile };
}

/** The session in its storage, under its key. */
export function storedSession(storage: TokenStorage, key: string) {
  return {
    async load(): Promise<Stored | null> {
      const raw = await storage.getItem(key);
      if (!raw) return null;
      try {
        return parseStored(JSON.parse(raw));
      } catch {
        return null;
      }
    },
    save: async (stored: Stored) => {
      await storage.setItem(key, JSON.stringify(stored));
    },
    remove: async () => {
      await storage.removeItem(key);
    },
  };
}
