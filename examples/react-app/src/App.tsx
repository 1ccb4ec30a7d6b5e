import { useSession, useUser } from "@jwt-auth/client/react";
import { authMode, client } from "./auth";
import { EventLog } from "./events";
import { LoginPage } from "./pages/login";
import { OtpPage } from "./pages/otp";
import { RegisterPage } from "./pages/register";
import { ResetPage } from "./pages/reset";
import { SessionsPage } from "./pages/sessions";
import { TasksPage } from "./pages/tasks";
import { Link, useLocation } from "./router";

const SIGNED_OUT_PAGES = { "/login": LoginPage, "/otp": OtpPage, "/register": RegisterPage, "/reset": ResetPage };
const SIGNED_IN_PAGES = { "/tasks": TasksPage, "/sessions": SessionsPage };

export function App() {
  const state = useSession();
  const { path } = useLocation();
  let page: React.ReactNode;
  if (state.status === "loading") page = <p>Loading…</p>;
  else if (state.status === "signed-in") {
    const Page = SIGNED_IN_PAGES[path as keyof typeof SIGNED_IN_PAGES] ?? TasksPage;
    page = <Page />;
  } else {
    const Page = SIGNED_OUT_PAGES[path as keyof typeof SIGNED_OUT_PAGES] ?? LoginPage;
    page = (
      <>
        {state.reason === "SESSION_EXPIRED" && <p role="alert">Your session has ended. Please sign in again.</p>}
        <Page />
      </>
    );
  }
  return (
    <>
      <Header />
      <main>{page}</main>
      <EventLog />
    </>
  );
}

function Header() {
  const user = useUser();
  return (
    <header>
      <strong>Tasks</strong> <small>({authMode} mode)</small>
      {user && (
        <nav>
          <Link to="/tasks">Tasks</Link> <Link to="/sessions">Sessions</Link>{" "}
          <span data-testid="signed-in-as">Signed in as {user.username}</span>{" "}
          <button type="button" onClick={() => void client.session.logout()}>
            Log out
          </button>
        </nav>
      )}
    </header>
  );
}
