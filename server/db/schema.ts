// Generated from the migrated schema by `npm run db:types`. Do not edit.
import type { Generated } from "kysely";

export interface AdminSessionsTable {
  token_hash: Uint8Array;
  user_id: number;
  awaiting_second_factor: boolean;
  created_at: Generated<Date>;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
}

export interface AuthEventsTable {
  id: Generated<number>;
  occurred_at: Generated<Date>;
  event: string;
  user_id: number | null;
  username: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: unknown | null;
}

export interface DjangoImportsTable {
  id: Generated<number>;
  source: string;
  started_at: Date;
  finished_at: Generated<Date>;
  summary: unknown;
}

export interface EmailTokensTable {
  token_hash: Uint8Array;
  user_id: number;
  purpose: string;
  email: string;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface MfaChallengesTable {
  token_hash: Uint8Array;
  user_id: number;
  methods: string;
  tries: Generated<number>;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface OtpCodesTable {
  user_id: number;
  code_hash: Uint8Array;
  created_at: Generated<Date>;
  expires_at: Date;
  failed_attempts: Generated<number>;
}

export interface OutboxMailsTable {
  id: Generated<number>;
  kind: string;
  to_address: string;
  subject: string;
  sealed_body: Uint8Array | null;
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  created_at: Generated<Date>;
  sent_at: Date | null;
}

export interface PasskeysTable {
  id: Generated<number>;
  user_id: number;
  credential_id: string;
  public_key: Uint8Array;
  counter: Generated<number>;
  transports: Generated<string>;
  device_type: string;
  backed_up: boolean;
  aaguid: string;
  user_handle: Uint8Array;
  name: string;
  created_at: Generated<Date>;
  last_used_at: Date | null;
}

export interface PasswordResetTokensTable {
  token_hash: Uint8Array;
  user_id: number;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: Uint8Array;
  created_at: Generated<Date>;
  used_at: Date | null;
}

export interface RefreshFamiliesTable {
  id: string;
  user_id: number;
  created_at: Generated<Date>;
  last_used_at: Generated<Date>;
  expires_at: Date;
  user_agent: string | null;
  ip: string | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
  amr: Generated<string>;
  auth_time: Generated<Date>;
}

export interface RefreshTokensTable {
  jti: string;
  user_id: number;
  created_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  family_id: string;
  revoke_reason: string | null;
  iat: number | null;
  exp: number | null;
  successor_jti: string | null;
}

export interface TasksTable {
  id: Generated<number>;
  owner_id: number;
  title: string;
  description: Generated<string>;
  is_completed: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  imported_at: Date | null;
}

export interface ThrottlesTable {
  key: string;
  window_started_at: Date;
  hits: number;
  window_seconds: number;
  max_hits: number;
}

export interface TotpCredentialsTable {
  user_id: number;
  sealed_secret: Uint8Array;
  created_at: Generated<Date>;
  confirmed_at: Date | null;
  last_used_step: number | null;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  first_name: Generated<string>;
  last_name: Generated<string>;
  password_hash: string;
  is_active: Generated<boolean>;
  is_staff: Generated<boolean>;
  is_superuser: Generated<boolean>;
  date_joined: Generated<Date>;
  last_login: Date | null;
  imported_at: Date | null;
  token_version: Generated<number>;
  email_verified_at: Generated<Date | null>;
}

export interface WebauthnChallengesTable {
  challenge_hash: Uint8Array;
  purpose: string;
  user_id: number | null;
  user_handle: Uint8Array | null;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface Database {
  admin_sessions: AdminSessionsTable;
  auth_events: AuthEventsTable;
  django_imports: DjangoImportsTable;
  email_tokens: EmailTokensTable;
  mfa_challenges: MfaChallengesTable;
  otp_codes: OtpCodesTable;
  outbox_mails: OutboxMailsTable;
  passkeys: PasskeysTable;
  password_reset_tokens: PasswordResetTokensTable;
  recovery_codes: RecoveryCodesTable;
  refresh_families: RefreshFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  tasks: TasksTable;
  throttles: ThrottlesTable;
  totp_credentials: TotpCredentialsTable;
  users: UsersTable;
  webauthn_challenges: WebauthnChallengesTable;
}
