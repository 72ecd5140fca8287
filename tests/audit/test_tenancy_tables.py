"""The audit trail of organizations, members, subscriptions and profiles."""

from __future__ import annotations

from helpers.audit import CLIENT_IP, CLIENT_AGENT, log, only, entry, by, count


# --- organizations, members, subscriptions, profiles ------------------------------------


def test_organization_create_update_delete_is_audited(via, team):
    su, admin = via.su, team.admin
    su.execute("update public.subscriptions set status = 'active' where organization_id = %s", (team.org,))  # one trial at a time
    org = team.new_org(admin, name="Globex")
    # create_organization: the organization, its first admin and its trial, all by the caller.
    created = entry(su, "create", "organizations", org)
    assert by(created) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) and created["new_values"]["name"] == "Globex"
    membership = only(log(su, action="create", entity_type="organization_members", organization_id=org))
    assert by(membership) == (admin.id, org, CLIENT_IP, CLIENT_AGENT)
    assert (membership["new_values"]["user_id"], membership["new_values"]["role"]) == (admin.id, "admin")
    trial = only(log(su, action="create", entity_type="subscriptions", organization_id=org))
    assert by(trial) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) and trial["new_values"]["status"] == "trialing"

    via.update(admin, "organizations", {"id": org}, {"name": "Globex Corp", "settings": {"theme": "dark"}})
    updated = entry(su, "update", "organizations", org)
    assert by(updated) == (admin.id, org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["name", "settings"]
    assert updated["old_values"]["settings"] == {} and updated["new_values"]["settings"] == {"theme": "dark"}

    # The same values again: a no-op, nothing written.
    via.update(admin, "organizations", {"id": org}, {"name": "Globex Corp"})
    assert len(log(su, action="update", entity_type="organizations", entity_id=org)) == 1

    live = team.project("Live", org=org, actor=admin)
    trashed = team.project("Trashed", org=org, actor=admin)
    via.delete(admin, "projects", {"id": trashed})
    slug = su.execute("select slug from public.organizations where id = %s", (org,)).fetchone()[0]
    via.rpc(admin, "delete_organization", organization_id=org, confirm_slug=slug)

    # The organization and everything of it went, each entry by the admin, from the
    # client; every entry keeps the organization (no foreign key nulls it): its
    # history stays attributable to it after it is gone.
    deleted = entry(su, "delete", "organizations", org)
    assert by(deleted) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) and deleted["old_values"]["name"] == "Globex Corp"
    cascade = {(e["entity_type"], e["action"]): e for e in log(su, user_id=admin.id, organization_id=org)
               if e["action"] in ("delete", "purge")}
    assert set(cascade) == {("organizations", "delete"), ("organization_members", "delete"),
                            ("subscriptions", "delete"), ("projects", "delete"), ("projects", "purge")}
    assert cascade[("projects", "delete")]["entity_id"] == live
    assert cascade[("projects", "purge")]["entity_id"] == trashed
    assert all(by(e) == (admin.id, org, CLIENT_IP, CLIENT_AGENT) for e in cascade.values())
    assert all(e["old_values"]["organization_id"] == org for k, e in cascade.items() if k[0] != "organizations")
    # The whole history is still there, with its organization: every entry written
    # while it lived, and the deletions.
    assert entry(su, "create", "organizations", org)["organization_id"] == org
    history = log(su, organization_id=org)
    assert count(su, "select count(*) from public.organizations where id = %s", (org,)) == 0
    assert {(e["entity_type"], e["action"]) for e in history} >= {
        ("organizations", "create"), ("organizations", "update"), ("organization_members", "create"),
        ("subscriptions", "create"), ("projects", "create"), ("projects", "soft_delete"),
        ("organizations", "delete"), ("projects", "purge")}


def test_membership_changes_are_audited(via, team):
    su, admin = via.su, team.admin
    newcomer = team.outsider
    invited = only(via.rpc(admin, "invite_member", organization_id=team.org, email=newcomer.email, role="viewer"))
    added = via.rpc(newcomer, "accept_invitation", token=invited["token"])
    created = entry(su, "create", "organization_members", added["id"])
    assert by(created) == (newcomer.id, team.org, CLIENT_IP, CLIENT_AGENT)  # joining is the invitee's act
    assert (created["new_values"]["user_id"], created["new_values"]["role"]) == (newcomer.id, "viewer")

    via.rpc(admin, "change_member_role", organization_id=team.org, user_id=newcomer.id, role="member")
    updated = entry(su, "update", "organization_members", added["id"])
    assert by(updated) == (admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["role"]
    assert (updated["old_values"]["role"], updated["new_values"]["role"]) == ("viewer", "member")

    # The same role again changes nothing: nothing written.
    via.rpc(admin, "change_member_role", organization_id=team.org, user_id=newcomer.id, role="member")
    assert len(log(su, action="update", entity_type="organization_members", entity_id=added["id"])) == 1

    via.rpc(admin, "remove_member", organization_id=team.org, user_id=newcomer.id)
    removed = entry(su, "delete", "organization_members", added["id"])
    assert by(removed) == (admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert removed["old_values"]["user_id"] == newcomer.id and removed["new_values"] is None


def test_subscription_writes_by_the_service_role_have_no_actor(via, team):
    su, service = via.su, team.service
    sub = only(via.update(service, "subscriptions", {"organization_id": team.org}, {"status": "active"}))
    updated = entry(su, "update", "subscriptions", sub["id"])
    assert by(updated) == (None, team.org, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["status"]
    assert (updated["old_values"]["status"], updated["new_values"]["status"]) == ("trialing", "active")

    via.delete(service, "subscriptions", {"id": sub["id"]})
    deleted = entry(su, "delete", "subscriptions", sub["id"])
    assert by(deleted) == (None, team.org, CLIENT_IP, CLIENT_AGENT)

    again = via.insert(service, "subscriptions", {"organization_id": team.org, "status": "past_due"})[0]
    created = entry(su, "create", "subscriptions", again["id"])
    assert by(created) == (None, team.org, CLIENT_IP, CLIENT_AGENT) and created["new_values"]["status"] == "past_due"


def test_profile_update_is_audited_without_organization(via, team):
    su, member = via.su, team.member
    via.update(member, "profiles", {"id": member.id}, {"name": "Mia"})
    updated = entry(su, "update", "profiles", member.id)
    assert by(updated) == (member.id, None, CLIENT_IP, CLIENT_AGENT)
    assert updated["changed_keys"] == ["name"] and updated["new_values"]["name"] == "Mia"
    via.update(member, "profiles", {"id": member.id}, {"name": "Mia"})
    assert len(log(su, action="update", entity_type="profiles", entity_id=member.id)) == 1


def test_invitations_are_audited(via, team):
    su = via.su
    created = only(via.rpc(team.admin, "invite_member", organization_id=team.org, email="Someone@Example.test",
                           role="viewer"))
    invited = entry(su, "invite", "invitations", created["invitation_id"])
    assert by(invited) == (team.admin.id, team.org, CLIENT_IP, CLIENT_AGENT)
    assert invited["new_values"]["email"] == "someone@example.test" and invited["new_values"]["role"] == "viewer"
    assert created["token"] not in str(invited)
