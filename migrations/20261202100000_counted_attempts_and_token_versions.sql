-- Revocation by version instead of by time. A token's `iat` has whole seconds
-- and the application's clock is not the database's, so "issued before this
-- instant" could not tell a token of the same second from one issued after it.
-- Every access token now carries the version its user had when it was issued
-- (`ver`); revoking them all ("log out everywhere", a password change or reset,
-- a deactivation) bumps the version. Tokens without the claim (issued before
-- this migration, or by the Django service) are version 0.
alter table users add column token_version integer not null default 0;
-- A user who had revoked tokens refuses every token issued before this
-- migration too: those carry no version, so they could be from before the cut.
update users set token_version = 1 where tokens_valid_after is not null;
alter table users drop column tokens_valid_after;

-- The refresh token's own claims, so that the token can be signed again exactly
-- (the reuse interval answers a repeated refresh with the successor it already
-- issued), and so that a row is never pruned while its token still verifies
-- (`expires_at` may end earlier, with its session). Null for tokens recorded
-- before this migration, imported or adopted.
alter table refresh_tokens add column iat bigint;
alter table refresh_tokens add column exp bigint;
-- The token a rotation issued in this one's place.
alter table refresh_tokens add column successor_jti varchar(64);

-- Counters that are taken before the work they guard. Each row keeps its own
-- rule (at most `max_hits` in a window of `window_seconds`), so that one
-- statement can take from several counters with different rules at once.
-- `hits` never goes past max_hits + 1: a hit that finds the counter spent is
-- refused and leaves it as it is.
delete from throttles;
alter table throttles drop column blocked_until;
alter table throttles add column window_seconds integer not null;
alter table throttles add column max_hits integer not null;
