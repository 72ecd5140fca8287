"""Reading the log: list_audit_logs."""

from __future__ import annotations

import pytest

from helpers.audit import refused, log


# --- reading the log: list_audit_logs ---------------------------------------------------


def test_list_audit_logs_is_for_admins_of_the_organization(via, team):
    entries = via.rpc(team.admin, "list_audit_logs", organization_id=team.org)
    assert entries and all(e["organization_id"] == team.org for e in entries)
    for who in (team.member, team.viewer):
        err = refused("42501", via.rpc, who, "list_audit_logs", organization_id=team.org)
        assert err.status in (None, 403)
    err = refused("PT404", via.rpc, team.outsider, "list_audit_logs", organization_id=team.org)
    assert err.status in (None, 404)
    err = refused("42501", via.rpc, team.anon, "list_audit_logs", organization_id=team.org)
    assert err.status in (None, 401)
    # The table itself: the admin reads the organization's rows, a member none.
    if via.name == "rest":
        assert len(via.http(team.admin, "GET", f"/audit_logs?organization_id=eq.{team.org}")) == len(
            log(via.su, organization_id=team.org))
        assert via.http(team.member, "GET", f"/audit_logs?organization_id=eq.{team.org}") == []


def test_list_audit_logs_filters(via, team):
    su, member = via.su, team.member
    for i in range(3):
        team.project(f"f{i}")
    via.rpc(team.viewer, "log_event", action="login", organization_id=team.org)
    projects = via.rpc(team.admin, "list_audit_logs", organization_id=team.org, entity_type="projects")
    assert len(projects) == 3 and {e["entity_type"] for e in projects} == {"projects"}
    mine = via.rpc(team.admin, "list_audit_logs", organization_id=team.org, user_id=member.id)
    assert len(mine) == len(log(su, organization_id=team.org, user_id=member.id)) == 3
    both = via.rpc(team.admin, "list_audit_logs", organization_id=team.org, entity_type="session", user_id=team.viewer.id)
    assert [(e["action"], e["user_id"]) for e in both] == [("login", team.viewer.id)]
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, entity_type="nothing") == []


def _newest_first(su, org: str) -> list[dict]:
    return [row[0] for row in su.execute(
        "select to_jsonb(a) from public.audit_logs a where organization_id = %s order by created_at desc, id desc",
        (org,)).fetchall()]


def test_list_audit_logs_keyset_pages_stay_stable_while_rows_arrive(via, team):
    su, admin, member = via.su, team.admin, team.member
    # Twelve more entries, eight of them from one statement (one created_at: ties
    # broken by id), the rest one per request.
    via.insert(member, "projects", [{"organization_id": team.org, "name": f"k{i}"} for i in range(8)])
    for _ in range(4):
        via.rpc(team.viewer, "log_event", action="login", organization_id=team.org)
    snapshot = _newest_first(su, team.org)
    assert len(snapshot) >= 15
    assert via.rpc(admin, "list_audit_logs", organization_id=team.org, page_size=1000) == snapshot

    pages, cursor, arrived = [], {}, []
    while True:
        page = via.rpc(admin, "list_audit_logs", organization_id=team.org, page_size=4, **cursor)
        if not page:
            break
        pages.append(page)
        cursor = {"before": page[-1]["created_at"], "before_id": page[-1]["id"]}
        # New rows arrive between pages: newer than every cursor, never in a later page.
        arrived.append(via.rpc(team.viewer, "log_event", action="logout", organization_id=team.org)["id"])
        team.project(f"late{len(pages)}")
    walked = [e for page in pages for e in page]
    assert [e["id"] for e in walked] == [e["id"] for e in snapshot]  # no duplicate, no skip, same order
    assert all(len(page) == 4 for page in pages[:-1])
    assert not set(arrived) & {e["id"] for e in walked}
    assert len(_newest_first(su, team.org)) == len(snapshot) + 2 * len(pages)


def test_list_audit_logs_offset_pages(via, team):
    su = via.su
    for _ in range(5):
        via.rpc(team.member, "log_event", action="login", organization_id=team.org)
    everything = _newest_first(su, team.org)
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, page_size=3) == everything[:3]
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, page_size=3, page_offset=3) == everything[3:6]
    assert via.rpc(team.admin, "list_audit_logs", organization_id=team.org, page_size=3,
                   page_offset=len(everything)) == []


@pytest.mark.parametrize("args", [
    {"page_size": 0}, {"page_size": 1001}, {"page_size": -1}, {"page_size": None}, {"page_offset": -1},
    {"before": "2030-01-01T00:00:00+00:00"}, {"before_id": "00000000-0000-0000-0000-000000000000"},
], ids=["size0", "size1001", "size-1", "size-null", "offset-1", "before-alone", "before_id-alone"])
def test_list_audit_logs_refuses_bad_pages(via, team, args):
    err = refused("22023", via.rpc, team.admin, "list_audit_logs", organization_id=team.org, **args)
    assert err.status in (None, 400)
