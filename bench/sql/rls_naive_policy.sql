-- bench/rls.py: the naive variant of projects_select's USING expression, the
-- membership check people write first: a correlated subquery on the membership
-- table calling auth.uid() bare (once per row). Swapped in with `alter policy`,
-- measured, and swapped back. Bench only.
exists (select 1 from public.organization_members m where m.organization_id = projects.organization_id and m.user_id = auth.uid())
