"""What the audit trail does not write."""

from __future__ import annotations

from helpers.audit import CLIENT_IP, CLIENT_AGENT, log, by


# --- what is not written ---------------------------------------------------------------


def test_no_op_updates_write_nothing(via, team):
    su, member = via.su, team.member
    pid = team.project("Same")
    before = len(log(su, entity_id=pid))
    rows = via.update(member, "projects", {"id": pid}, {"name": "Same"})
    assert rows and rows[0]["updated_at"] != rows[0]["created_at"]  # the row was written: updated_at moved
    assert len(log(su, entity_id=pid)) == before
    # Only updated_at changing (as the owner, in every way it can) writes nothing either.
    su.execute("update public.projects set updated_at = now() - interval '1 day' where id = %s", (pid,))
    su.execute("update public.projects set name = name where id = %s", (pid,))
    assert len(log(su, entity_id=pid)) == before
    # Deleting a project already in the trash changes nothing: nothing written.
    via.delete(member, "projects", {"id": pid})
    after_trash = len(log(su, entity_id=pid))
    via.delete(member, "projects", {"id": pid})
    assert len(log(su, entity_id=pid)) == after_trash == before + 1


def test_bulk_statements_write_one_entry_per_row(via, team):
    su, member = via.su, team.member
    org = team.new_org(team.admin, name="Bulk")
    via.rpc(team.service, "add_member", organization_id=org, user_id=member.id, role="member")
    rows = via.insert(member, "projects", [{"organization_id": org, "name": f"p{i:02}"} for i in range(50)])
    ids = sorted(r["id"] for r in rows)
    assert len(ids) == 50
    created = log(su, action="create", entity_type="projects", organization_id=org)
    assert sorted(e["entity_id"] for e in created) == ids
    assert len({e["created_at"] for e in created}) == 1  # one statement, one transaction

    via.update(member, "projects", {"organization_id": org}, {"name": "renamed"})
    updated = log(su, action="update", entity_type="projects", organization_id=org)
    assert sorted(e["entity_id"] for e in updated) == ids
    assert all(e["changed_keys"] == ["name"] and by(e) == (member.id, org, CLIENT_IP, CLIENT_AGENT) for e in updated)
    assert {e["old_values"]["name"] for e in updated} == {f"p{i:02}" for i in range(50)}

    # Half of them already have the name: only the other half is written.
    su.execute("update public.projects set name = 'final' where organization_id = %s and name = 'renamed' "
               "and id in (select id from public.projects where organization_id = %s order by id limit 25)", (org, org))
    before = len(log(su, action="update", entity_type="projects", organization_id=org))
    via.update(member, "projects", {"organization_id": org}, {"name": "final"})
    assert len(log(su, action="update", entity_type="projects", organization_id=org)) == before + 25
