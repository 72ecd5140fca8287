"""organizations: the tenants. Created (with their admin and trial) only by an RPC."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import ops
from ..models import MyOrganizationsRow, Organization
from .base import UNSET, Service, given, operation, required, role_list


class Organizations(Service):
    @operation
    def create(self, name: str, slug: str) -> Organization:
        """A new organization with you as its admin and a 14-day trial (one transaction)."""
        return ops.rpc("create_organization", {"name": name, "slug": slug}, model=Organization,
                       what=f"organization {slug}")

    @operation
    def list_mine(self) -> list[MyOrganizationsRow]:
        """Your organizations, each with your role in it, by name."""
        return ops.rpc("my_organizations", shape="many", model=MyOrganizationsRow)

    @operation
    def get(self, organization_id: str) -> Organization:
        return ops.select("organizations", ops.eq("id", organization_id), model=Organization, shape="one",
                          what=f"organization {organization_id}")

    @operation
    def update(self, organization_id: str, *, name: str = UNSET, slug: str = UNSET,
               logo_url: str | None = UNSET, settings: dict[str, Any] = UNSET) -> Organization:
        """Change an organization (admins)."""
        values = required(given(name=name, slug=slug, logo_url=logo_url, settings=settings), "the organization")
        rows = yield from ops.changed(
            ops.update("organizations", values, ops.eq("id", organization_id), model=Organization,
                       what=f"organization {organization_id}"),
            ops.select("organizations", ops.eq("id", organization_id)),
            verb="update",
        )
        return rows[0]

    @operation
    def delete(self, organization_id: str, *, confirm_slug: str) -> Organization:
        """Delete an organization and everything in it (admins), confirmed by its slug:
        deliberate, never one stray request. Returns the deleted row."""
        return ops.rpc("delete_organization", {"organization_id": organization_id, "confirm_slug": confirm_slug},
                       model=Organization, what=f"organization {organization_id}")

    @operation
    def has_access(self, organization_id: str) -> bool:
        """Whether you belong to the organization."""
        return ops.rpc("has_org_access", {"organization_id": organization_id}, shape="scalar")

    @operation
    def has_role(self, organization_id: str, roles: str | Iterable[str]) -> bool:
        """Whether you belong to the organization with one of `roles`."""
        return ops.rpc("has_org_role", {"organization_id": organization_id, "roles": role_list(roles)},
                       shape="scalar")
