import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { ConfigError } from "./env.js";

/**
 * The variables of an env file (KEY=value lines, Node's own parser): ENV_FILE,
 * else `.env` in the checkout when there is one. Variables set in the
 * environment win over the file's, as with `node --env-file`.
 */
export function withEnvFile(
  env: Record<string, string | undefined>,
  resolvePath: (path: string) => string,
): Record<string, string | undefined> {
  const given = env.ENV_FILE?.trim();
  const path = resolvePath(given || ".env");
  if (!given && !existsSync(path)) return env;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([`ENV_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`]);
  }
  const merged: Record<string, string | undefined> = { ...parseEnv(text) };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}
