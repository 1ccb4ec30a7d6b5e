import { defineConfig } from "vite";

// The app and the API share an origin: in development through this proxy, in production
// through the reverse proxy in front of both. Cookie mode needs no CORS then.
const api = process.env.API_URL ?? "http://localhost:8000";
// The Host header is kept: cookie mode's same-origin check compares the Origin with it.
const target = { target: api, changeOrigin: false };
const proxy = { "/trpc": target, "/auth/session": target };

export default defineConfig({
  // The SDK is linked from the repository (file:../../client-sdk): its `react` import must be the app's.
  resolve: { dedupe: ["react", "react-dom"] },
  server: { proxy },
  preview: { proxy },
});
