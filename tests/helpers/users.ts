import type { TestApp } from "./app.js";

export const STRONG_PASSWORD = "Correct-Horse-9-Battery";

let counter = 0;

/** A fresh, valid registration body; every call gets its own username and email. */
export function newAccount(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const username = `user${counter}_${process.pid}`;
  return {
    username,
    email: `${username}@example.com`,
    password: STRONG_PASSWORD,
    password2: STRONG_PASSWORD,
    first_name: "Ada",
    last_name: "Lovelace",
    ...overrides,
  };
}

/** Registers an account through the procedures and logs it in. */
export async function signUp(app: TestApp, overrides: Record<string, unknown> = {}) {
  const account = newAccount(overrides);
  const caller = app.caller();
  const user = await caller.auth.register(account as never);
  const tokens = await caller.auth.obtainToken({ username: account.username, password: account.password });
  return { account, user, tokens, authorization: `Bearer ${tokens.access}` };
}
