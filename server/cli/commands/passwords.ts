import { z } from "zod";
import { passwordField } from "../../contracts/fields.js";
import { checkPassword, type PasswordOwner, passwordMismatch } from "../../services/password-policy.js";
import type { CliIO } from "../io.js";
import { CommandError } from "./context.js";

/** A new password from stdin (--password-stdin) or typed twice, checked like the API checks it. */
export async function readNewPassword(io: CliIO, fromStdin: boolean, owner: PasswordOwner): Promise<string> {
  let password: string | undefined;
  if (fromStdin) {
    password = await io.readStdinLine();
    if (password === undefined) throw new CommandError("no password on stdin");
  } else {
    password = await io.prompt("Password: ", { hidden: true });
    if (password === undefined) throw new CommandError("no terminal to ask for the password: use --password-stdin");
    const again = await io.prompt("Password (again): ", { hidden: true });
    if (again !== password) throw new CommandError(passwordMismatch);
  }
  const parsed = passwordField().safeParse(password);
  if (!parsed.success) throw new CommandError(`password: ${z.prettifyError(parsed.error).replace(/^✖ /, "")}`);
  const problems = checkPassword(parsed.data, owner);
  if (problems.length > 0) throw new CommandError(`password: ${problems.join(" ")}`);
  return parsed.data;
}
