-- Every refresh inserts a token row and an audit row. What those tables carry
-- beyond what a query reads is paid on each one: an index entry per index, and
-- a foreign key's check, which is a query of its own that locks the row it
-- points to (bench/README.md, "What was cut").

-- No query reads it: pruning keys on the token's own `exp`.
drop index refresh_tokens_expires_at_idx;

-- A token's user is its session's. A user's tokens are revoked through their
-- sessions (refresh_families_user_id_idx), and deleted with them: deleting a
-- user deletes their sessions, and a session its tokens (both on delete cascade).
alter table refresh_tokens drop constraint refresh_tokens_user_id_fkey;
drop index refresh_tokens_user_id_idx;

-- The audit trail is a log: a user's deletion clears the user id from their
-- events itself (detachEventsFromUser, in the deletion's transaction), where the
-- key's `on delete set null` did.
alter table auth_events drop constraint auth_events_user_id_fkey;

-- Rows arrive in time order: a block range index serves pruning and the
-- console's time filters, for no work at insert.
drop index auth_events_occurred_at_idx;
create index auth_events_occurred_at_idx on auth_events using brin (occurred_at);
