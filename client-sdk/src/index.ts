export { type Api, type Client, type ClientOptions, createClient, type SessionApi } from "./client.js";
export { ApiError, type ClientError, type FieldErrors, isApiError, isRetryable, NetworkError } from "./errors.js";
export { type ErrorCode, errorStatus, type Procedures } from "./generated/api.js";
export type { AuthEvent, AuthListener, Session, TokenPair } from "./session.js";
export { memoryStorage, type TokenStorage } from "./storage.js";
