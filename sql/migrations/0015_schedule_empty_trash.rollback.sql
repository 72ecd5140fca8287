-- Undo 0015_schedule_empty_trash: the nightly job goes, where there is one.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    if exists (select 1 from cron.job where jobname = 'supakit-empty-trash') then
      perform cron.unschedule('supakit-empty-trash');
    end if;
  end if;
end
$$;
