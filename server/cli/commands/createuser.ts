import { parseArgs } from "node:util";
import { z } from "zod";
import { emailField, usernameField } from "../../contracts/fields.js";
import { nameField } from "../../contracts/user.js";
import { findTaken } from "../../db/repositories/users.js";
import { AppError } from "../../errors.js";
import { createAccount, emailTaken, usernameTaken } from "../../services/users.js";
import { type CommandContext, CommandError } from "./context.js";
import { readNewPassword } from "./passwords.js";

const options = "[--username NAME] [--email ADDRESS] [--password-stdin] [--noinput]";
export const createuserUsage = `createuser ${options} [--first-name NAME] [--last-name NAME] [--staff] [--superuser]`;
export const createsuperuserUsage = `createsuperuser ${options}`;

/** Like Django's createsuperuser: a staff superuser. */
export const createsuperuser = (ctx: CommandContext, args: string[]) =>
  createUser(ctx, args, { superuser: true, done: "Superuser created successfully." });

export const createuser = (ctx: CommandContext, args: string[]) =>
  createUser(ctx, args, { superuser: false, done: "User created successfully." });

const FIELDS = { username: usernameField(), email: emailField() } as const;
type Field = keyof typeof FIELDS;
const QUESTIONS: Record<Field, string> = { username: "Username: ", email: "Email address: " };

/**
 * Asks for what the flags do not give, unless --noinput, and asks again after
 * a bad answer (a bad flag is an error). The account is audited as created by
 * the command line.
 */
async function createUser(ctx: CommandContext, args: string[], kind: { superuser: boolean; done: string }) {
  const { values } = parseArgs({
    args,
    options: {
      username: { type: "string" },
      email: { type: "string" },
      "first-name": { type: "string" },
      "last-name": { type: "string" },
      staff: { type: "boolean", default: false },
      superuser: { type: "boolean", default: false },
      "password-stdin": { type: "boolean", default: false },
      noinput: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (kind.superuser && (values.staff || values.superuser || values["first-name"] || values["last-name"])) {
    throw new CommandError(`usage: npm run manage -- ${createsuperuserUsage}`, 2);
  }
  const names = z.object({ first_name: nameField(), last_name: nameField() }).safeParse({
    first_name: values["first-name"] ?? "",
    last_name: values["last-name"] ?? "",
  });
  const given = await checkFlags(ctx, { username: values.username, email: values.email });
  const problems = [...(names.success ? [] : issues(names.error)), ...given.problems];
  if (problems.length > 0) throw new CommandError(problems.join("\n"));
  const ask = (field: Field) => given.values[field] ?? askUntilValid(ctx, field, values.noinput);
  const username = await ask("username");
  const email = await ask("email");
  if (values.noinput && !values["password-stdin"]) {
    throw new CommandError("--noinput needs --password-stdin for the password", 2);
  }
  const { first_name, last_name } = names.success ? names.data : { first_name: "", last_name: "" };
  const password = await readNewPassword(ctx.io, values["password-stdin"], { username, email, first_name, last_name });
  const superuser = kind.superuser || values.superuser;
  try {
    await createAccount(
      ctx,
      {
        username,
        email,
        first_name,
        last_name,
        password,
        is_staff: superuser || values.staff,
        is_superuser: superuser,
      },
      { event: "user_created", by: "cli" },
    );
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
  ctx.io.out(kind.done);
}

const issues = (error: z.ZodError) => error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);

/** One answer as stored (trimmed, as DRF trims), or what is wrong with it: its form, then whether it is taken. */
async function check(
  ctx: CommandContext,
  field: Field,
  value: string,
): Promise<{ value: string } | { problem: string }> {
  const parsed = FIELDS[field].safeParse(value);
  if (!parsed.success) return { problem: parsed.error.issues[0]?.message ?? "invalid" };
  const taken = await findTaken(
    ctx.db,
    field === "username" ? parsed.data : undefined,
    field === "email" ? parsed.data : undefined,
  );
  if (taken[field]) return { problem: field === "username" ? usernameTaken : emailTaken };
  return { value: parsed.data };
}

async function checkFlags(ctx: CommandContext, given: Partial<Record<Field, string>>) {
  const values: Partial<Record<Field, string>> = {};
  const problems: string[] = [];
  for (const field of ["username", "email"] as const) {
    const value = given[field];
    if (value === undefined) continue;
    const result = await check(ctx, field, value);
    if ("problem" in result) problems.push(`${field}: ${result.problem}`);
    else values[field] = result.value;
  }
  return { values, problems };
}

async function askUntilValid(ctx: CommandContext, field: Field, noinput: boolean): Promise<string> {
  for (;;) {
    const answer = noinput ? undefined : await ctx.io.prompt(QUESTIONS[field]);
    if (answer === undefined) throw new CommandError(`--${field} is required when no terminal can be asked`, 2);
    const result = await check(ctx, field, answer);
    if ("value" in result) return result.value;
    ctx.io.err(`Error: ${result.problem}`);
  }
}
