import { z } from "zod";
import { passwordField } from "../../contracts/fields.js";
import { checkPassword, type PasswordOwner, passwordMismatch } from "../../services/password-policy.js";
import type { CliIO } from "../io.js";
import { CommandError } from "./context.js";

/**
 * A new password, checked as the API checks it: from stdin (--password-stdin,
 * where a bad one is an error), or typed twice at the terminal, asked again
 * until it is good.
 */
export async function readNewPassword(io: CliIO, fromStdin: boolean, owner: PasswordOwner): Promise<string> {
  if (fromStdin) {
    const password = await io.readStdinLine();
    if (password === undefined) throw new CommandError("no password on stdin");
    const result = checked(password, owner);
    if ("problems" in result) throw new CommandError(`password: ${result.problems}`);
    return result.password;
  }
  for (;;) {
    const password = await io.prompt("Password: ", { hidden: true });
    if (password === undefined) throw new CommandError("no terminal to ask for the password: use --password-stdin");
    const again = await io.prompt("Password (again): ", { hidden: true });
    if (again === undefined) throw new CommandError("no terminal to ask for the password: use --password-stdin");
    const result = again === password ? checked(password, owner) : { problems: passwordMismatch };
    if ("password" in result) return result.password;
    io.err(`Error: ${result.problems}`);
  }
}

function checked(password: string, owner: PasswordOwner): { password: string } | { problems: string } {
  const parsed = passwordField().safeParse(password);
  if (!parsed.success) return { problems: z.prettifyError(parsed.error).replace(/^✖ /, "") };
  const problems = checkPassword(parsed.data, owner);
  return problems.length > 0 ? { problems: problems.join(" ") } : { password: parsed.data };
}
