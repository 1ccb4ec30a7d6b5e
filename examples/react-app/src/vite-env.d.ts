interface ImportMetaEnv {
  /** `cookie` builds the app for cookie mode (the server needs REFRESH_COOKIE=true); anything else is token mode. */
  readonly VITE_AUTH_MODE?: string;
}
