"""The saas template's tenancy rules, as your own tests can check them (extend freely)."""


def test_a_tenant_sees_only_its_own_organizations(make_user):
    alice, mallory = make_user(), make_user()
    alice.sql.execute("select public.create_organization('Acme', 'acme')")
    assert alice.sql.execute("select count(*) from public.organizations").fetchone()[0] == 1
    assert mallory.sql.execute("select count(*) from public.organizations").fetchone()[0] == 0


def test_the_creator_is_admin_with_a_trial(make_user):
    alice = make_user()
    org_id = alice.sql.execute("select (public.create_organization('Beta', 'beta')).id").fetchone()[0]
    role = alice.sql.execute(
        "select role from public.organization_members where organization_id = %s", (org_id,)
    ).fetchone()[0]
    status = alice.sql.execute(
        "select status from public.subscriptions where organization_id = %s", (org_id,)
    ).fetchone()[0]
    assert (role, status) == ("admin", "trialing")
