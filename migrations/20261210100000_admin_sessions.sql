-- Admin console sessions (server/admin/): the cookie holds 256 random bits,
-- only their SHA-256 is kept. A session waiting for its second factor lives a
-- few minutes and grants nothing; its completion replaces it with a new one.
create table admin_sessions (
  token_hash             bytea primary key,
  user_id                integer not null references users (id) on delete cascade,
  awaiting_second_factor boolean not null,
  created_at             timestamptz not null default now(),
  expires_at             timestamptz not null,
  ip                     varchar(64),
  user_agent             varchar(512)
);

create index admin_sessions_user_id_idx on admin_sessions (user_id);
create index admin_sessions_expires_at_idx on admin_sessions (expires_at);
