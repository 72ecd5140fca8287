-- A pgTAP test: pytest (and `supakit test`) runs every .sql file here in its own
-- migrated database, with pgTAP and supakit's tests.* helpers installed.
begin;
select plan(2);

select tests.rls_enabled('public');

select tests.create_supabase_user('alice');
select tests.authenticate_as('alice');
select is(auth.uid(), tests.get_supabase_uid('alice'), 'tests.authenticate_as acts as the user');

select * from finish();
rollback;
