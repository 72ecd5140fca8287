"""Soft delete of projects (sql/functions/090_soft_delete.sql) and the trash RPCs
(100_trash_rpcs.sql): what a DELETE does on each path and for each caller, the
active and trash views, restore, purge and empty_trash, and that each step is audited.

Like the audit tests beside it (whose transports and fixtures, in conftest.py, these tests reuse), most
tests run through SQL as the API caller and through the real REST API, and read
effects back as the superuser. Who may call what is in tests/isolation/.
"""

from __future__ import annotations

import uuid

import httpx
import psycopg

from helpers.audit import CLIENT_AGENT, CLIENT_IP, Via, by, count, entry, log, only, refused

HINT_PURGE_ACTIVE = "delete it first: purging takes a project out of the trash for good"


def project_row(su, pid: str) -> dict | None:
    row = su.execute("select to_jsonb(p) from public.projects p where id = %s", (pid,)).fetchone()
    return None if row is None else row[0]


def trash(su, pid: str, days_ago: int, by_user: str | None = None) -> None:
    """Put a project in the trash `days_ago` days ago (as the owner)."""
    su.execute("update public.projects set deleted_at = now() - make_interval(days => %s), deleted_by = %s "
               "where id = %s", (days_ago, by_user, pid))


# --- what a DELETE does ----------------------------------------------------------------


def test_delete_on_the_table_trashes_the_row_and_returns_nothing(via, team):
    su, member = via.su, team.member
    pid = team.project("Doomed")
    assert via.delete(member, "projects", {"id": pid}) == []  # the trigger cancelled the delete
    row = project_row(su, pid)
    assert row is not None and row["deleted_at"] is not None and row["deleted_by"] == member.id
    trashed = entry(su, "soft_delete", "projects", pid)
    assert by(trashed) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert log(su, action="delete", entity_id=pid) == []


def test_rest_delete_without_representation_is_a_204(rest, rest_db, make_user):
    via = Via("rest", rest_db, rest)
    user = make_user()
    org = via.rpc(user, "create_organization", name="NoRepr", slug=f"norepr-{uuid.uuid4().hex[:10]}")["id"]
    pid = via.insert(user, "projects", {"organization_id": org, "name": "x"})[0]["id"]
    response = httpx.delete(f"{rest.url}/rest/v1/projects?id=eq.{pid}",
                            headers={**user.headers, "Prefer": "return=minimal"}, timeout=10)
    assert response.status_code == 204
    assert project_row(rest_db, pid)["deleted_by"] == user.id


def test_delete_on_the_active_view_returns_the_row(via, team):
    """A soft delete answers with the row, a refusal with an error (below), a row the
    caller cannot see with nothing: a client tells them apart."""
    su, member = via.su, team.member
    pid = team.project("Shown")
    returned = only(via.delete(member, "active_projects", {"id": pid}))
    assert returned["id"] == pid and returned["name"] == "Shown"
    row = project_row(su, pid)
    assert row["deleted_at"] is not None and row["deleted_by"] == member.id
    assert by(entry(su, "soft_delete", "projects", pid)) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)


def test_delete_on_the_active_view_returns_the_row_it_trashed(via, team):
    """Postgres builds RETURNING of an INSTEAD OF DELETE from the old row: the response
    is the row as it was, which tells a soft delete (a row) from a refusal (an error)."""
    pid = team.project("Shown")
    returned = only(via.delete(team.member, "active_projects", {"id": pid}))
    assert returned["id"] == pid and returned["name"] == "Shown" and returned["deleted_at"] is None
    row = project_row(via.su, pid)
    assert row["deleted_at"] is not None and row["deleted_by"] == team.member.id


def test_bulk_delete_on_the_active_view_trashes_and_returns_each_row(via, team):
    su, member = via.su, team.member
    org = team.new_org(team.admin, name="Bulk trash")
    via.rpc(team.service, "add_member", organization_id=org, user_id=member.id, role="member")
    ids = sorted(r["id"] for r in via.insert(member, "projects", [{"organization_id": org, "name": f"b{i}"}
                                                                   for i in range(5)]))
    returned = via.delete(member, "active_projects", {"organization_id": org})
    assert sorted(r["id"] for r in returned) == ids
    assert all(project_row(su, pid)["deleted_by"] == member.id for pid in ids)
    assert sorted(e["entity_id"] for e in log(su, action="soft_delete", organization_id=org)) == ids


def test_a_viewers_delete_is_refused_and_the_project_stays(via, team):
    su = via.su
    pid = team.project("Kept")
    err = refused("42501", via.delete, team.viewer, "active_projects", {"id": pid})
    assert err.status in (None, 403)
    # On the table a refused delete is an empty answer, as for a row one cannot see.
    assert via.delete(team.viewer, "projects", {"id": pid}) == []
    assert via.delete(team.outsider, "active_projects", {"id": pid}) == []
    assert via.delete(team.outsider, "projects", {"id": pid}) == []
    refused("42501", via.delete, team.anon, "projects", {"id": pid})  # anon holds no write grant at all
    assert project_row(su, pid)["deleted_at"] is None
    assert log(su, action="soft_delete", entity_id=pid) == []


def test_the_service_role_soft_deletes_too(via, team):
    su = via.su
    pid = team.project("By cron")
    assert via.delete(team.service, "projects", {"id": pid}) == []
    row = project_row(su, pid)
    assert row["deleted_at"] is not None and row["deleted_by"] is None
    assert by(entry(su, "soft_delete", "projects", pid)) == (None, team.org, CLIENT_IP, CLIENT_AGENT)
    other = team.project("By cron, through the view")
    assert only(via.delete(team.service, "active_projects", {"id": other}))["id"] == other
    assert project_row(su, other)["deleted_at"] is not None


def test_deleting_a_trashed_project_again_changes_nothing(via, team):
    su = via.su
    pid = team.project("Twice")
    via.delete(team.member, "projects", {"id": pid})
    before, entries = project_row(su, pid), log(su, entity_id=pid)
    for who in (team.member, team.admin, team.service):
        assert via.delete(who, "projects", {"id": pid}) == []
        assert via.delete(who, "trashed_projects", {"id": pid}) == []  # the trash is no purge
        assert via.delete(who, "active_projects", {"id": pid}) == []   # not in it
    assert project_row(su, pid) == before  # deleted_at and deleted_by as they were
    assert log(su, entity_id=pid) == entries


def test_superuser_sql_delete_is_a_real_delete(db, make_user):
    org = str(db.execute("insert into public.organizations (name, slug) values ('Su', %s) returning id",
                         (f"su-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    live, trashed = (str(db.execute("insert into public.projects (organization_id, name) values (%s, %s) returning id",
                                    (org, name)).fetchone()[0]) for name in ("live", "trashed"))
    trash(db, trashed, 1)
    assert db.execute("delete from public.projects where organization_id = %s", (org,)).rowcount == 2
    assert project_row(db, live) is None and project_row(db, trashed) is None
    assert by(entry(db, "delete", "projects", live)) == (None, org, None, None)
    assert by(entry(db, "purge", "projects", trashed)) == (None, org, None, None)


# --- the views -------------------------------------------------------------------------


def test_views_list_live_rows_and_the_trash_under_rls(via, team):
    su = via.su
    live, gone = team.project("live"), team.project("gone")
    via.delete(team.member, "projects", {"id": gone})
    theirs_live = team.project("theirs", org=team.other_org, actor=team.outsider)
    theirs_gone = team.project("theirs gone", org=team.other_org, actor=team.outsider)
    via.delete(team.outsider, "projects", {"id": theirs_gone})

    def ids(actor, view, org=None):
        return sorted(r["id"] for r in via.select(actor, view, {"organization_id": org} if org else None))

    for who in (team.member, team.viewer, team.admin):
        assert ids(who, "active_projects") == [live]
        assert ids(who, "trashed_projects") == [gone]
    assert ids(team.outsider, "active_projects") == [theirs_live]
    assert ids(team.outsider, "trashed_projects") == [theirs_gone]
    assert ids(team.anon, "active_projects") == ids(team.anon, "trashed_projects") == []
    # The service role bypasses RLS: both organizations.
    assert ids(team.service, "active_projects", team.org) == [live]
    assert ids(team.service, "trashed_projects", team.other_org) == [theirs_gone]
    # The superuser's view of the table agrees.
    assert count(su, "select count(*) from public.projects where organization_id = %s", (team.org,)) == 2


def test_views_are_security_invoker(db):
    options = dict(db.execute(
        "select relname, reloptions from pg_class where relnamespace = 'public'::regnamespace and relkind = 'v'"
    ).fetchall())
    assert options == {"active_projects": ["security_invoker=true"], "trashed_projects": ["security_invoker=true"]}


def test_a_members_soft_delete_works_under_rls(db, make_user):
    """The pitfall: a select policy with `deleted_at is null` would refuse the marking
    update. There is none; the marking runs as the owner, the member's delete works."""
    policies = db.execute("select policyname, coalesce(qual, '') || coalesce(with_check, '') from pg_policies "
                          "where schemaname = 'public' and tablename = 'projects'").fetchall()
    assert policies and not [name for name, text in policies if "deleted_at" in text]
    assert db.execute("select relrowsecurity from pg_class where oid = 'public.projects'::regclass").fetchone()[0]
    via = Via("sql", db, None)
    member = make_user()
    org = via.rpc(member, "create_organization", name="Rls", slug=f"rls-{uuid.uuid4().hex[:8]}")["id"]
    pid = via.insert(member, "projects", {"organization_id": org, "name": "x"})[0]["id"]
    # As PostgREST asks it: the delete reads columns (returning *).
    assert via.sql(member, "delete from public.projects where id = %s returning *", (pid,)) == []
    assert project_row(db, pid)["deleted_by"] == member.id


# --- the database writes deleted_at and deleted_by --------------------------------------


def test_a_member_cannot_write_the_deletion_columns(via, team):
    su = via.su
    live, gone = team.project("live"), team.project("gone")
    via.delete(team.member, "projects", {"id": gone})
    before = {pid: project_row(su, pid) for pid in (live, gone)}
    stamp = "2020-01-01T00:00:00+00:00"
    attempts = [
        (via.update, "projects", {"id": live}, {"deleted_at": stamp}),
        (via.update, "projects", {"id": live}, {"deleted_by": team.admin.id}),
        (via.update, "active_projects", {"id": live}, {"deleted_at": stamp}),
        (via.update, "projects", {"id": gone}, {"deleted_at": None}),  # restoring by hand
        (via.update, "trashed_projects", {"id": gone}, {"deleted_at": None, "deleted_by": None}),
        (via.update, "trashed_projects", {"id": gone}, {"deleted_by": team.admin.id}),
    ]
    for who in (team.member, team.admin):
        for call, table, match, values in attempts:
            err = refused("42501", call, who, table, match, values)
            assert err.status in (None, 403), (table, values)
        for table in ("projects", "active_projects", "trashed_projects"):
            for extra in ({"deleted_at": stamp}, {"deleted_by": who.id}):
                err = refused("42501", via.insert, who, table, {"organization_id": team.org, "name": "sneaky", **extra})
                assert err.status in (None, 403)
    assert {pid: project_row(su, pid) for pid in (live, gone)} == before
    assert count(su, "select count(*) from public.projects where name = 'sneaky'") == 0


# --- restore, purge, empty the trash --------------------------------------------------


def test_restore_project(via, team):
    su = via.su
    pid = team.project("Back")
    via.delete(team.member, "projects", {"id": pid})
    err = refused("42501", via.rpc, team.viewer, "restore_project", project_id=pid)
    assert err.status in (None, 403)
    err = refused("PT404", via.rpc, team.outsider, "restore_project", project_id=pid)
    assert err.status in (None, 404)
    refused("PT404", via.rpc, team.member, "restore_project", project_id=str(uuid.uuid4()))
    assert project_row(su, pid)["deleted_at"] is not None

    restored = via.rpc(team.member, "restore_project", project_id=pid)
    assert restored["id"] == pid and restored["deleted_at"] is None and restored["deleted_by"] is None
    assert restored == project_row(su, pid)
    assert by(entry(su, "restore", "projects", pid)) == (team.member.id, team.org, CLIENT_IP, CLIENT_AGENT)

    err = refused("P0001", via.rpc, team.member, "restore_project", project_id=pid)
    assert err.status in (None, 400) and "not in the trash" in err.message
    assert len(log(su, action="restore", entity_id=pid)) == 1


def test_purge_project(via, team):
    su = via.su
    pid, live = team.project("Gone for good"), team.project("Still live")
    via.delete(team.member, "projects", {"id": pid})
    for who in (team.member, team.viewer):
        err = refused("42501", via.rpc, who, "purge_project", project_id=pid)
        assert err.status in (None, 403)
    refused("PT404", via.rpc, team.outsider, "purge_project", project_id=pid)
    err = refused("P0001", via.rpc, team.admin, "purge_project", project_id=live)
    assert err.hint == HINT_PURGE_ACTIVE and err.status in (None, 400)
    assert project_row(su, live)["deleted_at"] is None

    trashed = project_row(su, pid)
    purged = via.rpc(team.admin, "purge_project", project_id=pid)
    assert purged == trashed  # what was removed
    assert project_row(su, pid) is None
    e = entry(su, "purge", "projects", pid)
    assert by(e) == (team.admin.id, team.org, CLIENT_IP, CLIENT_AGENT) and e["old_values"] == trashed
    refused("PT404", via.rpc, team.admin, "purge_project", project_id=pid)


def test_empty_trash_for_an_organization(via, team):
    su, admin = via.su, team.admin
    old = [team.project(f"old{i}") for i in range(2)]
    recent, live = team.project("recent"), team.project("live")
    for pid in old:
        trash(su, pid, 40, team.member.id)
    trash(su, recent, 10, team.member.id)
    theirs = team.project("theirs", org=team.other_org, actor=team.outsider)
    trash(su, theirs, 40)

    for who in (team.member, team.viewer):
        err = refused("42501", via.rpc, who, "empty_trash", organization_id=team.org)
        assert err.status in (None, 403)
    refused("PT404", via.rpc, team.outsider, "empty_trash", organization_id=team.org)
    for args in ({"organization_id": team.org, "older_than": "-1 day"}, {}, {"organization_id": None}):
        err = refused("22023", via.rpc, admin, "empty_trash", **args)
        assert err.status in (None, 400), args
    refused("42501", via.rpc, team.anon, "empty_trash", organization_id=team.org)

    assert via.rpc(admin, "empty_trash", organization_id=team.org) == 2  # default: 30 days
    assert [project_row(su, pid) for pid in old] == [None, None]
    assert project_row(su, recent) is not None and project_row(su, live) is not None
    assert project_row(su, theirs) is not None  # another organization's trash
    assert sorted(e["entity_id"] for e in log(su, action="purge", organization_id=team.org)) == sorted(old)
    assert all(by(e) == (admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
               for e in log(su, action="purge", organization_id=team.org))

    assert via.rpc(admin, "empty_trash", organization_id=team.org) == 0
    assert via.rpc(admin, "empty_trash", organization_id=team.org, older_than="5 days") == 1
    assert project_row(su, recent) is None and project_row(su, live) is not None
    # The outsider, admin of their own organization, empties theirs.
    assert via.rpc(team.outsider, "empty_trash", organization_id=team.other_org) == 1


def test_empty_trash_by_the_service_role(via, team):
    su, service = via.su, team.service
    # Old enough that, in the REST database shared with other tests, only these qualify.
    mine = [team.project("a"), team.project("b", org=team.other_org, actor=team.outsider)]
    young = team.project("c")
    for pid in mine:
        trash(su, pid, 4000)
    trash(su, young, 3000)
    one_org = team.project("d")
    trash(su, one_org, 5000)

    refused("22023", via.rpc, service, "empty_trash", older_than="-1 second")
    assert via.rpc(service, "empty_trash", organization_id=team.other_org, older_than="3650 days") == 1
    assert project_row(su, mine[1]) is None and project_row(su, mine[0]) is not None
    assert via.rpc(service, "empty_trash", older_than="3650 days") == 2  # every organization
    assert project_row(su, mine[0]) is None and project_row(su, one_org) is None
    assert project_row(su, young) is not None
    purges = log(su, action="purge", entity_type="projects", user_id=None)
    assert {e["entity_id"] for e in purges} >= {*mine, one_org}
    assert all(e["ip_address"] == CLIENT_IP for e in purges if e["entity_id"] in {*mine, one_org})


# --- an organization goes with its projects -------------------------------------------


def test_deleting_an_organization_removes_its_projects_trash_included(via, team):
    su, admin = via.su, team.admin
    org = team.new_org(admin, name="Closing")
    live, gone = team.project("live", org=org, actor=admin), team.project("gone", org=org, actor=admin)
    via.delete(admin, "projects", {"id": gone})
    slug = su.execute("select slug from public.organizations where id = %s", (org,)).fetchone()[0]
    deleted = via.rpc(admin, "delete_organization", organization_id=org, confirm_slug=slug)
    assert deleted["id"] == org
    assert count(su, "select count(*) from public.organizations where id = %s", (org,)) == 0
    assert count(su, "select count(*) from public.projects where id = any(%s::uuid[])", ([live, gone],)) == 0
    # The entries keep the organization: its history stays attributable to it.
    assert by(entry(su, "delete", "projects", live)) == (admin.id, org, CLIENT_IP, CLIENT_AGENT)
    assert by(entry(su, "purge", "projects", gone)) == (admin.id, org, CLIENT_IP, CLIENT_AGENT)


# --- one statement makes a table soft-deletable -----------------------------------------


def test_enable_soft_delete_is_one_statement(db, service_role):
    db.execute("""
        create table public.notes (
          id uuid primary key default gen_random_uuid(), body text,
          deleted_at timestamptz, deleted_by uuid);
        select private.enable_soft_delete('public.notes');""")
    assert dict(db.execute("select relname, reloptions from pg_class where relname in ('active_notes', 'trashed_notes')"
                           ).fetchall()) == {"active_notes": ["security_invoker=true"],
                                             "trashed_notes": ["security_invoker=true"]}
    a, b, c = (str(db.execute("insert into public.notes (body) values (%s) returning id", (n,)).fetchone()[0])
               for n in "abc")
    via = Via("sql", db, None)
    assert via.delete(service_role, "notes", {"id": a}) == []
    assert only(via.delete(service_role, "active_notes", {"id": b}))["id"] == b
    assert sorted(r["id"] for r in via.select(service_role, "trashed_notes")) == sorted([a, b])
    assert [r["id"] for r in via.select(service_role, "active_notes")] == [c]
    db.execute("delete from public.notes where id = %s", (c,))  # the owner: a real delete
    assert count(db, "select count(*) from public.notes") == 2


# --- holes found while writing these tests (see the report) ------------------------------


def _victim(db, make_user):
    admin = make_user()
    org = str(db.execute("insert into public.organizations (name, slug) values ('Victim', %s) returning id",
                         (f"victim-{uuid.uuid4().hex[:8]}",)).fetchone()[0])
    db.execute("insert into public.organization_members (organization_id, user_id, role) values (%s, %s, 'admin')",
               (org, admin.id))
    pid = str(db.execute("insert into public.projects (organization_id, name) values (%s, 'victim') returning id",
                         (org,)).fetchone()[0])
    return admin, org, pid


def test_nobody_trashes_another_orgs_project_from_a_trigger_of_their_own(db, make_user):
    _, _, pid = _victim(db, make_user)
    attacker = make_user()
    try:
        with attacker.sql.transaction() as conn:
            conn.execute("create temp table t (x int)")
            conn.execute("create function pg_temp.f() returns trigger language plpgsql as $$ begin "
                         f"delete from public.projects where id = '{pid}'; return null; end $$")
            conn.execute("create trigger t after insert on pg_temp.t for each row execute function pg_temp.f()")
            conn.execute("insert into pg_temp.t values (1)")
    except psycopg.Error:
        pass
    assert project_row(db, pid)["deleted_at"] is None


def test_nobody_attaches_a_trigger_to_the_views(db, make_user):
    admin, org, pid = _victim(db, make_user)
    attacker = make_user()
    try:
        with attacker.sql.transaction() as conn:
            conn.execute("create function pg_temp.trojan() returns trigger language plpgsql as $$ begin "
                         f"perform public.add_member('{org}'::uuid, '{attacker.id}'::uuid, null, 'admin'); "
                         "return old; end $$")
            conn.execute("create trigger a_trojan instead of delete on public.active_projects "
                         "for each row execute function pg_temp.trojan()")
    except psycopg.Error as exc:
        assert exc.sqlstate == "42501"
    # The victim, in their own session, trashes their project through the view.
    Via("sql", db, None).delete(admin, "active_projects", {"id": pid})
    assert project_row(db, pid)["deleted_at"] is not None
    assert count(db, "select count(*) from public.organization_members where organization_id = %s and user_id = %s",
                 (org, attacker.id)) == 0
