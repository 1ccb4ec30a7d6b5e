-- The ticket between a login's password step and its second step: 256 random
-- bits handed to the client, kept here as SHA-256 only. It lives a few
-- minutes, allows a few tries (counted before each is checked) and is deleted
-- by the step that succeeds, so of parallel completions one wins.
create table mfa_challenges (
  token_hash  bytea primary key,
  user_id     integer not null references users (id) on delete cascade,
  methods     varchar(64) not null,
  tries       integer not null default 0,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null
);

create index mfa_challenges_user_id_idx on mfa_challenges (user_id);
create index mfa_challenges_expires_at_idx on mfa_challenges (expires_at);

-- How and when a session last authenticated (RFC 8176 `amr`, space-separated,
-- and OpenID's `auth_time`), copied into every access token it issues. A
-- session that exists now authenticated with a password when it began.
alter table refresh_families add column amr varchar(64) not null default 'pwd';
alter table refresh_families add column auth_time timestamptz;
update refresh_families set auth_time = created_at;
alter table refresh_families alter column auth_time set default now();
alter table refresh_families alter column auth_time set not null;
