import { parseArgs } from "node:util";
import { z } from "zod";
import { emailField, usernameField } from "../../contracts/fields.js";
import { AppError } from "../../errors.js";
import { createAccount } from "../../services/users.js";
import { type CommandContext, CommandError } from "./context.js";
import { readNewPassword } from "./passwords.js";

export const usage = "createsuperuser [--username NAME] [--email ADDRESS] [--password-stdin] [--noinput]";

/** Like Django's: asks for what the flags do not give, unless --noinput. */
export async function createsuperuser(ctx: CommandContext, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      username: { type: "string" },
      email: { type: "string" },
      "password-stdin": { type: "boolean", default: false },
      noinput: { type: "boolean", default: false },
    },
  });
  const ask = async (flag: string | undefined, question: string, name: string) => {
    if (flag !== undefined) return flag;
    const answer = values.noinput ? undefined : await ctx.io.prompt(question);
    if (answer === undefined) throw new CommandError(`--${name} is required when no terminal can be asked`, 2);
    return answer;
  };
  const username = await ask(values.username, "Username: ", "username");
  const email = await ask(values.email, "Email address: ", "email");

  const fields = z.object({ username: usernameField(), email: emailField() }).safeParse({ username, email });
  if (!fields.success) {
    throw new CommandError(fields.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`).join("\n"));
  }
  if (values.noinput && !values["password-stdin"]) {
    throw new CommandError("--noinput needs --password-stdin for the password", 2);
  }
  const password = await readNewPassword(ctx.io, values["password-stdin"], fields.data);
  try {
    await createAccount(ctx, { ...fields.data, password, is_staff: true, is_superuser: true });
  } catch (error) {
    if (error instanceof AppError && error.fields) {
      throw new CommandError(
        Object.entries(error.fields)
          .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
          .join("\n"),
      );
    }
    throw error;
  }
  ctx.io.out("Superuser created successfully.");
}
