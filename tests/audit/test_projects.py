"""The audit trail of projects: every action."""

from __future__ import annotations

from helpers.audit import CLIENT_IP, CLIENT_AGENT, log, entry, by


# --- projects: every action ------------------------------------------------------------


def test_project_lifecycle_is_audited(via, team):
    su, member, admin = via.su, team.member, team.admin
    project = via.insert(member, "projects", {"organization_id": team.org, "name": "Apollo"})[0]
    pid = project["id"]

    created = entry(su, "create", "projects", pid)
    assert by(created) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert created["new_values"] == project and created["old_values"] is None and created["changed_keys"] is None

    via.update(member, "projects", {"id": pid}, {"name": "Artemis"})
    updated = entry(su, "update", "projects", pid)
    assert by(updated) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["name"]
    assert (updated["old_values"]["name"], updated["new_values"]["name"]) == ("Apollo", "Artemis")
    assert updated["old_values"]["updated_at"] != updated["new_values"]["updated_at"]  # recorded, not a changed key

    via.delete(member, "projects", {"id": pid})
    trashed = entry(su, "soft_delete", "projects", pid)
    assert by(trashed) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert trashed["changed_keys"] == ["deleted_at", "deleted_by"]
    assert trashed["old_values"]["deleted_at"] is None and trashed["new_values"]["deleted_at"] is not None
    assert trashed["new_values"]["deleted_by"] == member.id

    via.rpc(member, "restore_project", project_id=pid)
    restored = entry(su, "restore", "projects", pid)
    assert by(restored) == (member.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert restored["changed_keys"] == ["deleted_at", "deleted_by"]
    assert restored["new_values"]["deleted_at"] is None and restored["new_values"]["deleted_by"] is None

    via.delete(member, "projects", {"id": pid})
    via.rpc(admin, "purge_project", project_id=pid)
    purged = entry(su, "purge", "projects", pid)
    assert by(purged) == (admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert purged["old_values"]["deleted_by"] == member.id and purged["new_values"] is None
    assert purged["changed_keys"] is None

    assert [e["action"] for e in log(su, entity_type="projects", entity_id=pid)] == [
        "create", "update", "soft_delete", "restore", "soft_delete", "purge"]
    # Nothing else was written for the project: no 'delete', no stray 'update'.


def test_superuser_sql_is_audited_without_actor_or_client(via, team):
    su = via.su
    pid = str(su.execute("insert into public.projects (organization_id, name) values (%s, 'Ops') returning id",
                         (team.org,)).fetchone()[0])
    su.execute("update public.projects set name = 'Ops 2' where id = %s", (pid,))
    su.execute("delete from public.projects where id = %s", (pid,))  # the owner: a real delete
    entries = log(su, entity_type="projects", entity_id=pid)
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert all(by(e) == (None, team.org, None, None) for e in entries)
    assert entries[2]["old_values"]["name"] == "Ops 2"
