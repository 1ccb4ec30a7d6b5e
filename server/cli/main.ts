import { configFromProcessEnv } from "../config/from-process.js";
import { terminalIO } from "./io.js";
import { runCli } from "./run.js";

/** `npm run manage -- <command>`: the same environment as `npm start`. */
const code = await runCli(process.argv.slice(2), {
  io: terminalIO(process.stdin, process.stdout, process.stderr),
  loadConfig: () => configFromProcessEnv(() => {}),
});
process.exit(code);
