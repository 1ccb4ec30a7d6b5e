import { client } from "../auth";
import { ErrorMessage } from "../errors";
import { Link } from "../router";
import { field, useAction } from "../use-action";

export function RegisterPage() {
  const register = useAction((form) =>
    client.auth.register({
      username: field(form, "username"),
      email: field(form, "email"),
      password: field(form, "password"),
      password2: field(form, "password2"),
      first_name: field(form, "first_name"),
      last_name: field(form, "last_name"),
    }),
  );
  if (register.result) {
    return (
      <section>
        <h1>Welcome, {register.result.first_name || register.result.username}</h1>
        <p role="status">
          Your account is ready. <Link to="/login">Sign in</Link>
        </p>
      </section>
    );
  }
  return (
    <section>
      <h1>Create an account</h1>
      <form onSubmit={register.onSubmit}>
        <label>
          Username <input name="username" autoComplete="username" required />
        </label>
        <label>
          Email <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          First name <input name="first_name" autoComplete="given-name" />
        </label>
        <label>
          Last name <input name="last_name" autoComplete="family-name" />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="new-password" required />
        </label>
        <label>
          Password again <input name="password2" type="password" autoComplete="new-password" required />
        </label>
        <button type="submit" disabled={register.pending}>
          Create the account
        </button>
      </form>
      <ErrorMessage error={register.error} />
      <p>
        <Link to="/login">I have an account</Link>
      </p>
    </section>
  );
}
