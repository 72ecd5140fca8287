-- depends: 0015_schedule_empty_trash

-- What the repeatables' generators create with `execute format(...)`: the triggers of
-- private.enable_audit and the views and triggers of private.enable_soft_delete. A
-- reader of sql/functions does not see them, nor does the migrator's teardown, which
-- reads those files: so each generator records here what it made, and the teardown
-- (supakit.migrate.teardown) and `supakit doctor` read it.
-- kind 'trigger': `name` on `relation`; kind 'view': the view `relation` (name is its
-- unqualified name). Not exposed (private is not in PostgREST's schemas), and RLS
-- on with no policy all the same: only the owner (migrations, the generators) reads it.
create table private.generated_objects (
  kind text not null check (kind in ('trigger', 'view')),
  relation text not null,
  name text not null,
  generated_by text not null,
  created_at timestamptz not null default now(),
  primary key (kind, relation, name)
);
alter table private.generated_objects enable row level security;
revoke all on private.generated_objects from public, anon, authenticated, service_role;
