export type { Api, SessionProcedure } from "./api.js";
export type { Client, ClientOptions, SessionApi, TokenPair } from "./client.js";
export { createClient } from "./client.js";
export {
  ApiError,
  type ClientError,
  type FieldErrors,
  isApiError,
  isMfaRequired,
  isNetworkError,
  isSessionEnded,
  type MfaChallenge,
  type MfaMethod,
  NetworkError,
  SessionEndedError,
} from "./errors.js";
export {
  type ErrorCode,
  errorStatus,
  type ProcedureErrorCode,
  type Procedures,
  procedureErrors,
} from "./generated/api.js";
export type { AuthEvent, AuthListener, Session } from "./session.js";
export { memoryStorage, type TokenStorage } from "./storage.js";
export type { AuthState, AuthStore } from "./store.js";
export type { User } from "./stored.js";
