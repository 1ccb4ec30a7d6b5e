// Builds the publishable SDK into dist/: ES modules (tRPC's client bundled in, so
// the package has no dependencies; React stays the app's own) and their
// declarations (tsc), which reference nothing outside the package. Run by
// `npm run build` here, by `npm pack` (prepack), and by the root's `npm run build:sdk`.
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
await rm(join(here, "dist"), { recursive: true, force: true });
const bundle = await rolldown({
  input: { index: join(src, "index.ts"), react: join(src, "react.ts"), server: join(src, "server.ts") },
  platform: "neutral",
  treeshake: true,
  external: ["react"],
});
await bundle.write({ dir: join(here, "dist"), format: "esm", sourcemap: true, chunkFileNames: "[name]-[hash].js" });
await bundle.close();
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
