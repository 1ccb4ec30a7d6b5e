import { client } from "../auth";
import { ErrorMessage } from "../errors";
import { Link, useLocation } from "../router";
import { field, useAction } from "../use-action";

/** Ask for a reset mail; the mail's link (PASSWORD_RESET_URL) comes back here with uid and token. */
export function ResetPage() {
  const { query } = useLocation();
  const uid = query.get("uid");
  const token = query.get("token");
  const request = useAction((form) => client.passwordReset.request({ email: field(form, "email") }));
  const confirm = useAction((form) =>
    client.passwordReset.confirm({
      uid: uid ?? "",
      token: token ?? "",
      password: field(form, "password"),
      password2: field(form, "password2"),
    }),
  );
  if (uid && token) {
    return (
      <section>
        <h1>Choose a new password</h1>
        {confirm.result ? (
          <p role="status">
            {confirm.result.message} <Link to="/login">Sign in</Link>
          </p>
        ) : (
          <form onSubmit={confirm.onSubmit}>
            <label>
              New password <input name="password" type="password" autoComplete="new-password" required />
            </label>
            <label>
              New password again <input name="password2" type="password" autoComplete="new-password" required />
            </label>
            <button type="submit" disabled={confirm.pending}>
              Set the password
            </button>
            <ErrorMessage error={confirm.error} />
          </form>
        )}
      </section>
    );
  }
  return (
    <section>
      <h1>Reset your password</h1>
      {request.result ? (
        <p role="status">{request.result.message}</p>
      ) : (
        <form onSubmit={request.onSubmit}>
          <label>
            Email <input name="email" type="email" autoComplete="email" required />
          </label>
          <button type="submit" disabled={request.pending}>
            Mail me a link
          </button>
          <ErrorMessage error={request.error} />
        </form>
      )}
      <p>
        <Link to="/login">Back to sign in</Link>
      </p>
    </section>
  );
}
