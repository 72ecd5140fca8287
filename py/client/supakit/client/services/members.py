"""organization_members: who belongs to an organization, with which role (RPCs write)."""

from __future__ import annotations

from datetime import timedelta

from .. import ops
from ..models import InviteMemberRow, ListInvitationsRow, OrganizationMember
from .base import Service, operation

ORDER = (("created_at", False), ("id", False))


class Members(Service):
    @operation
    def list(self, organization_id: str) -> list[OrganizationMember]:
        """The organization's members (for its members), oldest first."""
        return ops.select("organization_members", ops.eq("organization_id", organization_id),
                          model=OrganizationMember, order=ORDER)

    @operation
    def add(self, organization_id: str, *, user_id: str | None = None, email: str | None = None,
            role: str = "member") -> OrganizationMember:
        """Add an existing user by id or email: the service role only (back office,
        provisioning). Joining needs the person's consent: admins `invite`, they accept."""
        args = {"organization_id": organization_id, "role": role}
        args |= {k: v for k, v in (("user_id", user_id), ("email", email)) if v is not None}
        return ops.rpc("add_member", args, model=OrganizationMember, what="member")

    @operation
    def change_role(self, organization_id: str, user_id: str, role: str) -> OrganizationMember:
        """Change a member's role (admins; an organization keeps at least one admin)."""
        return ops.rpc("change_member_role", {"organization_id": organization_id, "user_id": user_id, "role": role},
                       model=OrganizationMember, what=f"member {user_id}")

    @operation
    def remove(self, organization_id: str, user_id: str) -> OrganizationMember:
        """Remove a member (admins, or yourself). Returns the removed membership."""
        return ops.rpc("remove_member", {"organization_id": organization_id, "user_id": user_id},
                       model=OrganizationMember, what=f"member {user_id}")

    @operation
    def leave(self, organization_id: str) -> OrganizationMember:
        """Leave an organization (its last admin cannot)."""
        return ops.rpc("leave_organization", {"organization_id": organization_id}, model=OrganizationMember,
                       what=f"membership in {organization_id}")

    # -- invitations: how people join, with their consent

    @operation
    def invite(self, organization_id: str, email: str, *, role: str = "member",
               valid_for: timedelta | str = timedelta(days=7)) -> InviteMemberRow:
        """Invite an address (admins). The token is in the answer only: send it to the invitee."""
        args = {"organization_id": organization_id, "email": email, "role": role, "valid_for": valid_for}
        rows = yield ops.rpc("invite_member", args, shape="many", model=InviteMemberRow)
        return rows[0]

    @operation
    def invitations(self, organization_id: str) -> list[ListInvitationsRow]:
        """The organization's invitations with their status, newest first (admins)."""
        return ops.rpc("list_invitations", {"organization_id": organization_id}, shape="many",
                       model=ListInvitationsRow)

    @operation
    def revoke_invitation(self, invitation_id: str) -> None:
        """Revoke a pending invitation (admins)."""
        return ops.rpc("revoke_invitation", {"invitation_id": invitation_id}, shape="none")

    @operation
    def accept_invitation(self, token: str) -> OrganizationMember:
        """Join the organization an invitation for your email address is for."""
        return ops.rpc("accept_invitation", {"token": token}, model=OrganizationMember, what="invitation")
