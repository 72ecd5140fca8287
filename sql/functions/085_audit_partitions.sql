-- audit_logs' monthly partitions (sql/migrations/0011): created ahead, dropped
-- whole for retention. Each month [first day, next first day) in UTC is a table
-- private.audit_logs_yYYYYmMM; private.audit_logs_default catches rows of a month
-- with no partition yet (so no write ever fails for want of one), and creating
-- that month's partition later moves them into it.
-- Only the owner (migrations, pg_cron, the retention RPC) calls these.

-- The partition of the month starting at `month` (a UTC month start): created if
-- missing, built aside and attached (a short SHARE UPDATE EXCLUSIVE lock on
-- audit_logs, writes go on), with the rows the default partition holds for it.
create or replace function private.create_audit_partition(month timestamp)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  name text := pg_catalog.to_char(month, '"audit_logs_y"YYYY"m"MM');
  lower_bound timestamptz := month at time zone 'utc';
  upper_bound timestamptz := (month + interval '1 month') at time zone 'utc';
begin
  if month <> pg_catalog.date_trunc('month', month) then
    raise exception 'a partition starts on the first of a month, not at %', month using errcode = '22023';
  end if;
  if pg_catalog.to_regclass('private.' || pg_catalog.quote_ident(name)) is not null then
    return false;
  end if;
  execute pg_catalog.format('create table private.%I (like public.audit_logs including defaults including constraints)',
                            name);
  execute pg_catalog.format(
    'with moved as (delete from private.audit_logs_default d where d.created_at >= $1 and d.created_at < $2 returning d.*) '
    'insert into private.%I select * from moved', name)
  using lower_bound, upper_bound;
  execute pg_catalog.format('alter table public.audit_logs attach partition private.%I for values from (%L) to (%L)',
                            name, lower_bound, upper_bound);
  -- Read through audit_logs only (its policy applies there, not on a partition).
  execute pg_catalog.format('revoke all on private.%I from public, anon, authenticated, service_role', name);
  return true;
end;
$$;

-- This month's partition and the next `months_ahead` months': how many were created.
create or replace function private.create_audit_partitions(months_ahead integer default 3)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  this_month timestamp := pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'utc');
  created integer := 0;
  month timestamp;
begin
  if months_ahead is null or months_ahead not between 0 and 24 then
    raise exception 'months_ahead must be between 0 and 24, got %', months_ahead using errcode = '22023';
  end if;
  for month in
    select pg_catalog.generate_series(this_month, this_month + pg_catalog.make_interval(months => months_ahead),
                                      interval '1 month')
  loop
    if private.create_audit_partition(month) then
      created := created + 1;
    end if;
  end loop;
  return created;
end;
$$;

-- Retention: every month that ends at or before `cutoff` is dropped whole (a
-- catalog change, no DELETE), and the default partition's rows older than
-- `cutoff` are deleted (it only holds strays). Entries of the month `cutoff` falls
-- in stay until that month is wholly older. Returns the number of entries removed
-- (for dropped months, as the table statistics count them).
create or replace function private.drop_audit_partitions(cutoff timestamptz)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  part record;
  counted bigint;
  removed bigint := 0;
begin
  if cutoff is null then
    raise exception 'cutoff must not be null' using errcode = '22023';
  end if;
  for part in
    select c.oid::regclass as relation,
           pg_catalog.to_timestamp(pg_catalog.substr(c.relname, 13), 'YYYY"m"MM')::timestamp as month
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'public.audit_logs'::regclass
      and c.relnamespace = 'private'::regnamespace
      and c.relname ~ '^audit_logs_y[0-9]{4}m[0-9]{2}$'
    order by c.relname
  loop
    exit when (part.month + interval '1 month') at time zone 'utc' > cutoff;
    -- How many entries go: the statistics' count (vacuum and analyze keep it, and
    -- autovacuum visits every month it fills), not a scan of the whole month.
    counted := (select c.reltuples::bigint from pg_catalog.pg_class c where c.oid = part.relation and c.reltuples >= 0);
    if counted is null then
      execute pg_catalog.format('select pg_catalog.count(*) from %s', part.relation) into counted;
    end if;
    execute pg_catalog.format('drop table %s', part.relation);
    removed := removed + counted;
  end loop;
  delete from private.audit_logs_default d where d.created_at < cutoff;
  get diagnostics counted = row_count;
  return removed + counted;
end;
$$;

-- The scheduled upkeep: partitions three months ahead, and, when the database
-- sets a retention (`alter database ... set supakit.audit_retention = '13 months'`),
-- the months older than it dropped. No retention set: nothing is ever removed.
create or replace function private.maintain_audit_logs()
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  retention interval := nullif(pg_catalog.current_setting('supakit.audit_retention', true), '')::interval;
begin
  perform private.create_audit_partitions(3);
  if retention is null then
    return 0;
  end if;
  if retention < interval '1 day' then
    raise exception 'supakit.audit_retention must be at least 1 day, got %', retention using errcode = '22023';
  end if;
  return private.drop_audit_partitions(pg_catalog.now() - retention);
end;
$$;

revoke execute on function private.create_audit_partition(timestamp) from public, anon, authenticated, service_role;
revoke execute on function private.create_audit_partitions(integer) from public, anon, authenticated, service_role;
revoke execute on function private.drop_audit_partitions(timestamptz) from public, anon, authenticated, service_role;
revoke execute on function private.maintain_audit_logs() from public, anon, authenticated, service_role;

-- Where the database has pg_cron (Supabase does), the upkeep runs daily at 00:07
-- UTC (scheduling a job name again updates it). Elsewhere, call
-- private.maintain_audit_logs() from any scheduler, or public.purge_audit_logs.
do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('supakit-audit-logs', '7 0 * * *', 'select private.maintain_audit_logs()');
  end if;
end;
$$;
