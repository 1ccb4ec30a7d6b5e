import { createTRPCUntypedClient, httpLink, TRPCClientError } from "@trpc/client";
import { ApiError, type MfaChallenge, NetworkError } from "./errors.js";
import { type ErrorCode, errorStatus } from "./generated/api.js";

export type Kind = "query" | "mutation";
export type Transport = (path: string, kind: Kind, input: unknown, token: string | undefined) => Promise<unknown>;

interface ErrorData {
  appCode?: ErrorCode;
  httpStatus?: number;
  fieldErrors?: Record<string, string[]>;
  retryAfter?: number;
  mfa?: MfaChallenge;
}

/** A failed answer that is not the server's JSON: a gateway's page, usually. */
class GatewayAnswer extends Error {
  constructor(readonly status: number) {
    super(`the gateway answered ${status}`);
  }
}

export interface TransportOptions {
  /** Cookie mode: the session's endpoints are called with the browser's cookies, cross-origin too. */
  credentials?: "include";
  /** Sent with every call. */
  headers?: Record<string, string>;
}

/**
 * tRPC's own client over HTTP (one request per call) to `endpoint` (the
 * server's /trpc, or its cookie-mode session endpoints), with the caller's
 * token, and typed errors out.
 */
export function createTransport(
  endpoint: string,
  fetchImpl: typeof fetch = globalThis.fetch,
  options: TransportOptions = {},
): Transport {
  const extra = options.headers ?? {};
  // tRPC's client drops the status of a response it cannot parse; keep it for the error.
  const guarded: typeof fetch = async (input, init) => {
    const response = await fetchImpl(input, options.credentials ? { ...init, credentials: options.credentials } : init);
    if (!response.ok && !response.headers.get("content-type")?.includes("json")) {
      throw new GatewayAnswer(response.status);
    }
    return response;
  };
  const client = createTRPCUntypedClient({
    links: [
      httpLink({
        url: endpoint,
        fetch: guarded,
        headers: ({ op }) => {
          const token = op.context.token;
          return typeof token === "string" ? { ...extra, authorization: `Bearer ${token}` } : extra;
        },
      }),
    ],
  });
  return async (path, kind, input, token) => {
    const options = { context: { token } };
    try {
      return kind === "query" ? await client.query(path, input, options) : await client.mutation(path, input, options);
    } catch (error) {
      throw toClientError(error);
    }
  };
}

function toClientError(error: unknown): ApiError | NetworkError {
  if (!(error instanceof TRPCClientError)) return new NetworkError(String(error), undefined, { cause: error });
  const data = error.data as ErrorData | undefined;
  const status =
    error.cause instanceof GatewayAnswer
      ? error.cause.status
      : ((error.meta?.response as { status?: number } | undefined)?.status ?? data?.httpStatus);
  if (data?.appCode && data.appCode in errorStatus) {
    return new ApiError(
      data.appCode,
      error.message,
      data.httpStatus ?? status ?? 500,
      data.fieldErrors,
      data.retryAfter,
      data.mfa,
    );
  }
  if (status === undefined || (status >= 502 && status <= 504)) {
    return new NetworkError(status ? `the gateway answered ${status}` : error.message, status, { cause: error });
  }
  return new ApiError("internal_error", error.message, status, {});
}
