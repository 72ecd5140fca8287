-- Reading and writing the audit trail through the API.

-- Record an app event in the caller's name: the actor is always auth.uid(), never a
-- parameter, so nobody logs in another's name. App events are clearly apart from
-- what the database records itself: their actions are the app's own (login,
-- logout), never one the database writes (create, update, delete, invite, remove,
-- ...), and their entity type is `session` or `app.<name>`, never a table's. Details
-- are a JSON object of at most 4 KB, the entity id at most 200 characters. With an
-- organization, the caller must belong to it. Errors quote a short prefix of the
-- input at most.
create or replace function public.log_event(
  action text,
  organization_id uuid default null,
  entity_type text default 'session',
  entity_id text default null,
  details jsonb default null
)
returns public.audit_logs
language plpgsql
security definer
set search_path = ''
as $$
declare
  client record := private.request_client();
  kind text := coalesce(log_event.entity_type, 'session');
  logged public.audit_logs;
begin
  if auth.uid() is null then
    raise exception 'sign in to log events' using errcode = '42501';
  end if;
  if private.audit_actor() is null then
    -- An entry with no actor would read as the service role's.
    raise exception 'your account has no profile yet: events are logged in a profile''s name'
      using errcode = '42501';
  end if;
  if log_event.action is null or log_event.action not in ('login', 'logout') then
    raise exception 'action must be login or logout, got %', private.preview(log_event.action)
      using errcode = '22023',
            hint = 'changes to data are logged by the database itself';
  end if;
  if kind <> 'session' and kind !~ '^app\.[a-z0-9_]([a-z0-9_.-]{0,58}[a-z0-9_])?$' then
    raise exception 'entity_type must be session or app.<name>, got %', private.preview(kind)
      using errcode = '22023',
            hint = 'app.<name>: lower-case letters, digits, _ . -, at most 64 characters; a table''s entity type is the database''s to write';
  end if;
  if pg_catalog.char_length(log_event.entity_id) > 200 then
    raise exception 'entity_id is % characters: at most 200', pg_catalog.char_length(log_event.entity_id)
      using errcode = '22023';
  end if;
  if log_event.details is not null and pg_catalog.jsonb_typeof(log_event.details) <> 'object' then
    raise exception 'details must be a JSON object, got a %', pg_catalog.jsonb_typeof(log_event.details)
      using errcode = '22023';
  end if;
  if pg_catalog.octet_length(log_event.details::text) > 4096 then
    raise exception 'details are % bytes: at most 4096', pg_catalog.octet_length(log_event.details::text)
      using errcode = '22023';
  end if;
  if log_event.organization_id is not null then
    perform private.require_org_role(log_event.organization_id, '{admin,member,viewer}', 'log events');
  end if;
  insert into public.audit_logs
    (organization_id, user_id, action, entity_type, entity_id, new_values, ip_address, user_agent)
  values (log_event.organization_id, private.audit_actor(), log_event.action,
          kind, log_event.entity_id, log_event.details,
          client.ip_address, client.user_agent)
  returning * into logged;
  return logged;
end;
$$;

-- An organization's log for its admins, newest first, optionally by entity type and
-- user. Pages: pass the last row's (created_at, id) as (before, before_id) for the
-- next page (stable while new rows arrive), or an offset as the seed does.
-- The page is chosen from audit_logs_organization_keyset_idx alone (an index-only
-- scan: the filters' columns are in the index), then its rows are fetched by key:
-- the cost of a page does not grow with the organization's log.
create or replace function public.list_audit_logs(
  organization_id uuid,
  entity_type text default null,
  user_id uuid default null,
  before timestamptz default null,
  before_id uuid default null,
  page_size integer default 50,
  page_offset integer default 0
)
returns setof public.audit_logs
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_org_role(list_audit_logs.organization_id, '{admin}', 'read the audit log');
  if list_audit_logs.page_size is null or list_audit_logs.page_size not between 1 and 1000 then
    raise exception 'page_size must be between 1 and 1000' using errcode = '22023';
  end if;
  if coalesce(list_audit_logs.page_offset, -1) < 0 then
    raise exception 'page_offset must be zero or more' using errcode = '22023';
  end if;
  if (list_audit_logs.before is null) <> (list_audit_logs.before_id is null) then
    raise exception 'give both before and before_id (the last row''s created_at and id), or neither'
      using errcode = '22023';
  end if;
  if list_audit_logs.before is null then
    return query
      select a.* from (
        select k.created_at, k.id from public.audit_logs k
        where k.organization_id = list_audit_logs.organization_id
          and (list_audit_logs.entity_type is null or k.entity_type = list_audit_logs.entity_type)
          and (list_audit_logs.user_id is null or k.user_id = list_audit_logs.user_id)
        order by k.created_at desc, k.id desc
        limit list_audit_logs.page_size offset list_audit_logs.page_offset
      ) page
      join public.audit_logs a
        on a.organization_id = list_audit_logs.organization_id and a.created_at = page.created_at and a.id = page.id
      order by a.created_at desc, a.id desc;
  else
    -- The same, after the cursor: a separate statement, so that the cursor is a
    -- bound of the index scan in every plan (never a filter).
    return query
      select a.* from (
        select k.created_at, k.id from public.audit_logs k
        where k.organization_id = list_audit_logs.organization_id
          and (k.created_at, k.id) < (list_audit_logs.before, list_audit_logs.before_id)
          and (list_audit_logs.entity_type is null or k.entity_type = list_audit_logs.entity_type)
          and (list_audit_logs.user_id is null or k.user_id = list_audit_logs.user_id)
        order by k.created_at desc, k.id desc
        limit list_audit_logs.page_size offset list_audit_logs.page_offset
      ) page
      join public.audit_logs a
        on a.organization_id = list_audit_logs.organization_id and a.created_at = page.created_at and a.id = page.id
      order by a.created_at desc, a.id desc;
  end if;
end;
$$;

-- Retention, for the service role only: remove entries older than `older_than`,
-- by whole months (sql/functions/085_audit_partitions.sql): every monthly
-- partition that ends before now() - older_than is dropped, never DELETEd row by
-- row; entries of the month the cutoff falls in stay until that month is wholly
-- older. Returns the number of entries removed.
create or replace function public.purge_audit_logs(older_than interval)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.is_service_role() then
    raise exception 'only the service role may remove audit entries' using errcode = '42501';
  end if;
  if purge_audit_logs.older_than is null or purge_audit_logs.older_than < interval '1 day' then
    raise exception 'older_than must be at least 1 day, got %', purge_audit_logs.older_than using errcode = '22023';
  end if;
  -- Dropping a partition locks audit_logs for an instant: never queue behind a long reader.
  perform pg_catalog.set_config('lock_timeout', '5s', true);
  perform private.create_audit_partitions(3);
  return private.drop_audit_partitions(pg_catalog.now() - purge_audit_logs.older_than);
end;
$$;

revoke execute on function public.log_event(text, uuid, text, text, jsonb) from public, anon;
revoke execute on function public.list_audit_logs(uuid, text, uuid, timestamptz, uuid, integer, integer) from public, anon;
revoke execute on function public.purge_audit_logs(interval) from public, anon, authenticated;
grant execute on function public.log_event(text, uuid, text, text, jsonb) to authenticated;
grant execute on function public.list_audit_logs(uuid, text, uuid, timestamptz, uuid, integer, integer) to authenticated;
grant execute on function public.purge_audit_logs(interval) to service_role;
