-- bench/audit.py: public.projects' policies, as statements recreating them on
-- public.bench_projects_plain (read from the catalog, so they are the same whatever
-- sql/policies/projects.sql says today). Bench only.
select format('create policy %I on public.bench_projects_plain as %s for %s to %s%s%s',
              p.polname,
              case when p.polpermissive then 'permissive' else 'restrictive' end,
              case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                            when 'd' then 'delete' else 'all' end,
              (select string_agg(quote_ident(r.rolname), ', ') from pg_roles r where r.oid = any (p.polroles)),
              coalesce(' using (' || pg_get_expr(p.polqual, p.polrelid) || ')', ''),
              coalesce(' with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''))
from pg_policy p where p.polrelid = 'public.projects'::regclass order by p.polname
