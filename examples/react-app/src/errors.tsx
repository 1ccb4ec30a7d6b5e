import { isApiError, isNetworkError, isSessionEnded } from "@jwt-auth/client";

/** What to tell the user about a failed call: the server's field messages when it gave some. */
export function describe(error: unknown): string {
  if (isSessionEnded(error)) return "Your session has ended. Please sign in again.";
  if (isNetworkError(error)) return "The server cannot be reached. Try again in a moment.";
  if (isApiError(error, "throttled")) return `Too many attempts. Try again in ${error.retryAfter ?? 60} seconds.`;
  if (isApiError(error, "validation_failed")) {
    return Object.entries(error.fieldErrors)
      .map(([field, messages]) => `${field === "non_field_errors" ? "" : `${field}: `}${(messages ?? []).join(" ")}`)
      .join("\n");
  }
  if (isApiError(error)) return error.message;
  return String(error);
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return (
    <p role="alert" className="error">
      {describe(error)}
    </p>
  );
}
