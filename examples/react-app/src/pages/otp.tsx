import { useState } from "react";
import { client } from "../auth";
import { ErrorMessage } from "../errors";
import { Link } from "../router";
import { field, useAction } from "../use-action";

/** OTP login: the password first, then the six-digit code the server mails. */
export function OtpPage() {
  const [username, setUsername] = useState("");
  const request = useAction(async (form) => {
    await client.session.requestOtp({ username: field(form, "username"), password: field(form, "password") });
    setUsername(field(form, "username"));
  });
  const verify = useAction((form) => client.session.verifyOtp({ username, otp: field(form, "otp") }));
  return (
    <section>
      <h1>Sign in with a code</h1>
      {username === "" ? (
        <form onSubmit={request.onSubmit}>
          <label>
            Username <input name="username" autoComplete="username" required />
          </label>
          <label>
            Password <input name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit" disabled={request.pending}>
            Send me a code
          </button>
          <ErrorMessage error={request.error} />
        </form>
      ) : (
        <form onSubmit={verify.onSubmit}>
          <p>We mailed a code to the address of {username}.</p>
          <label>
            Code <input name="otp" inputMode="numeric" autoComplete="one-time-code" required />
          </label>
          <button type="submit" disabled={verify.pending}>
            Sign in
          </button>
          <ErrorMessage error={verify.error} />
        </form>
      )}
      <p>
        <Link to="/login">Sign in with your password</Link>
      </p>
    </section>
  );
}
