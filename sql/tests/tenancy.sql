-- The tenancy rules as pgTAP, in the style users copy: each file runs in its own
-- database (a clone of the migrated template), in one transaction rolled back at the end.
-- tests.* are supakit's supabase-test-helpers-style functions.
begin;
select plan(12);

select tests.rls_enabled('public');

-- Ann creates an organization; Bob is a stranger to it.
select tests.create_supabase_user('ann', 'ann@example.test');
select tests.create_supabase_user('bob', 'bob@example.test');
select tests.create_supabase_user('vic', 'vic@example.test');

select tests.authenticate_as('ann');
select lives_ok(
  $$ select public.create_organization('Acme', 'acme') $$,
  'a signed-in user creates an organization'
);
select is(
  (select role::text from public.organization_members where user_id = tests.get_supabase_uid('ann')),
  'admin',
  'its creator is its admin'
);
select is(
  (select status::text from public.subscriptions),
  'trialing',
  'it starts with a trial'
);
-- Ann invites Vic as a viewer; the token is kept for Vic to accept.
create temporary table invitation on commit drop as
  select token from public.invite_member((select id from public.organizations where slug = 'acme'), 'vic@example.test', 'viewer');
grant select on invitation to authenticated;

select tests.authenticate_as('bob');
select is_empty(
  $$ select 1 from public.organizations $$,
  'a stranger sees no other tenant''s organization'
);
select is_empty(
  $$ select 1 from public.organization_members $$,
  'a stranger sees no other tenant''s members'
);
select throws_ok(
  $$ insert into public.projects (organization_id, name)
     values ((select id from public.organizations limit 1), 'x') $$,
  null,
  'a stranger cannot write into another tenant'
);

select tests.authenticate_as('vic');
select lives_ok(
  $$ select public.accept_invitation((select token from invitation)) $$,
  'the invitee accepts with the token'
);
select results_eq(
  $$ select slug from public.organizations $$,
  $$ values ('acme') $$,
  'a viewer reads the organization'
);
select throws_ok(
  $$ insert into public.projects (organization_id, name)
     values ((select id from public.organizations where slug = 'acme'), 'Launch') $$,
  '42501',
  null,
  'a viewer cannot create projects'
);

select tests.authenticate_as('ann');
select lives_ok(
  $$ insert into public.projects (organization_id, name)
     values ((select id from public.organizations where slug = 'acme'), 'Launch') $$,
  'an admin creates projects'
);
select throws_ok(
  $$ select public.leave_organization((select id from public.organizations where slug = 'acme')) $$,
  null,
  'the last admin cannot leave'
);

select * from finish();
rollback;
