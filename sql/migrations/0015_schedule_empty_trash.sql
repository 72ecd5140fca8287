-- depends: 0014_profiles_email_optional

-- Where pg_cron is enabled (Supabase ships it; `supakit up` enables it), empty
-- the trash every night: projects deleted more than 30 days ago are purged, as
-- the service role (empty_trash cleans every organization for it). Where the
-- extension is not enabled this does nothing; enabling it later and running
-- this file's statement again (or `select cron.schedule(...)` by hand) adds the job.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule(
      'supakit-empty-trash',
      '17 3 * * *',
      $job$select pg_catalog.set_config('request.jwt.claims', '{"role": "service_role"}', true); $job$
      || $job$select public.empty_trash(older_than => interval '30 days')$job$
    );
  end if;
end
$$;
