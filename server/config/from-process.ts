import { fromRoot } from "../paths.js";
import { type Config, loadConfig } from "./config.js";
import { devPrivateKey, devSigningKey } from "./dev-key.js";
import { withEnvFile } from "./env-file.js";

/**
 * The configuration of this process, for the entry points (server and CLI)
 * only: the one place that reads `process.env` (and the env file, see
 * env-file.ts). Relative paths are resolved from the checkout so that the
 * working directory does not matter.
 */
export function configFromProcessEnv(warn: (message: string) => void): Config {
  return loadConfig(withEnvFile(process.env, fromRoot), {
    devSigningKey: devSigningKey(fromRoot(".data/jwt-signing-key"), warn),
    devPrivateKey: devPrivateKey(fromRoot(".data"), warn),
    resolvePath: fromRoot,
  });
}
