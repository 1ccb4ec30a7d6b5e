import { client } from "../auth";
import { ErrorMessage } from "../errors";
import { Link } from "../router";
import { field, useAction } from "../use-action";

export function LoginPage() {
  const login = useAction((form) =>
    client.session.login({ username: field(form, "username"), password: field(form, "password") }),
  );
  return (
    <section>
      <h1>Sign in</h1>
      <form onSubmit={login.onSubmit}>
        <label>
          Username <input name="username" autoComplete="username" required />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={login.pending}>
          Sign in
        </button>
      </form>
      <ErrorMessage error={login.error} />
      <p>
        <Link to="/otp">Sign in with a code by mail</Link> · <Link to="/register">Create an account</Link> ·{" "}
        <Link to="/reset">Forgot your password?</Link>
      </p>
    </section>
  );
}
