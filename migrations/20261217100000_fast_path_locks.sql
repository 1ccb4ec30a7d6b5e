-- PostgreSQL keeps up to 16 relation locks per transaction in a backend's own
-- slots (the fast path); once they are taken, every further lock goes through
-- the shared lock table, behind partition locks that 32 busy backends queue on.
-- A statement locks every table it names and every index of those tables. The
-- rotation named 17, and its session key check (a query of its own per token
-- inserted, which also locks the session's row, a write to its page) then took
-- its four locks the slow way, on every refresh. Both go:
-- tests/db/fast-path-locks.test.ts holds the rotation to the fast path.

-- No query reads it: sessions are found by id or by user, and pruned when no
-- token is left.
drop index refresh_families_expires_at_idx;

-- Every token is inserted with a session id read from its session's row (a
-- login inserts both in one statement). A user's deletion deletes their
-- tokens itself (deleteTokensOfUser, in the deletion's transaction) before
-- their sessions go by cascade. What the key prevented, a token inserted by a
-- rotation that commits while its session is deleted, leaves a row that can
-- do nothing: a rotation and an access token both need the session's row. It
-- is pruned with the others once its `exp` has passed.
alter table refresh_tokens drop constraint refresh_tokens_family_id_fkey;
