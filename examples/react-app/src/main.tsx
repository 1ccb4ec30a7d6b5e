import { AuthProvider } from "@jwt-auth/client/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { client } from "./auth";

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <AuthProvider client={client}>
      <App />
    </AuthProvider>
  </StrictMode>,
);
