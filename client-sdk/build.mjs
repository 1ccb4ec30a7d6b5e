// Builds the publishable SDK into dist/: one ES module (tRPC's client bundled in, so
// the package has no dependencies) and its declarations (tsc), which reference
// nothing outside the package. Run through `npm run build:sdk`.
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const here = dirname(fileURLToPath(import.meta.url));
await rm(join(here, "dist"), { recursive: true, force: true });
const bundle = await rolldown({ input: join(here, "src", "index.ts"), platform: "neutral", treeshake: true });
await bundle.write({ file: join(here, "dist", "index.js"), format: "esm", sourcemap: true });
await bundle.close();
