-- bench/audit.py: `n` one-row inserts into `target`, each its own statement, as a
-- session's temporary function; returns microseconds per insert. Bench only.
create function pg_temp.single_rows(target text, n int) returns float language plpgsql as $$
declare
  started timestamptz := clock_timestamp();
begin
  for i in 1..n loop
    execute format('insert into %s (name, organization_id) values ($1, $2)', target)
      using 'Single ' || i, md5('bulk-org1')::uuid;
  end loop;
  return extract(epoch from clock_timestamp() - started) * 1e6 / n;
end;
$$
