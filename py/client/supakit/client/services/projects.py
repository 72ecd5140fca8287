"""projects: an organization's, soft-deleted into a trash, restored or purged by RPCs."""

from __future__ import annotations

from datetime import timedelta

from .. import ops
from ..models import Project
from .base import Service, operation

ORDER = (("created_at", False), ("id", False))


class Projects(Service):
    @operation
    def list(self, organization_id: str | None = None, *, include_deleted: bool = False,
             limit: int | None = None, offset: int | None = None) -> list[Project]:
        """Projects you may see (of one organization if given), oldest first; the trash too with include_deleted."""
        filters = (ops.eq("organization_id", organization_id),) if organization_id is not None else ()
        return ops.select("projects" if include_deleted else "active_projects", *filters, model=Project,
                          order=ORDER, limit=limit, offset=offset)

    @operation
    def get(self, project_id: str, *, include_deleted: bool = False) -> Project:
        return ops.select("projects" if include_deleted else "active_projects", ops.eq("id", project_id),
                          model=Project, shape="one", what=f"project {project_id}")

    @operation
    def create(self, organization_id: str, name: str) -> Project:
        """A project in the organization (its admins and members)."""
        return ops.insert("projects", {"organization_id": organization_id, "name": name}, model=Project,
                          what="project")

    @operation
    def update(self, project_id: str, *, name: str) -> Project:
        """Rename a project (admins and members)."""
        rows = yield from ops.changed(
            ops.update("projects", {"name": name}, ops.eq("id", project_id), model=Project,
                       what=f"project {project_id}"),
            ops.select("projects", ops.eq("id", project_id)),
            verb="update",
        )
        return rows[0]

    @operation
    def delete(self, project_id: str) -> Project:
        """Move a project to the trash (admins and members); returns it, trashed.

        A DELETE on `active_projects` soft-deletes through the table; one you may see
        but not delete raises PermissionDenied (the view's trigger), one you may not
        see (or already trashed) touches no row: NotFound. Postgres answers a DELETE
        on a view with the row as it was before the INSTEAD OF trigger ran (not the row
        the trigger returns), so the trashed row is read back.
        """
        yield from ops.changed(
            ops.delete("active_projects", ops.eq("id", project_id),
                       what=f"project {project_id} (or it is already in the trash)"),
            verb="delete",
        )
        return (yield ops.select("trashed_projects", ops.eq("id", project_id), model=Project, shape="one",
                                 what=f"project {project_id} in the trash"))

    @operation
    def restore(self, project_id: str) -> Project:
        """Bring a project back from the trash (admins and members)."""
        return ops.rpc("restore_project", {"project_id": project_id}, model=Project, what=f"project {project_id}")

    @operation
    def purge(self, project_id: str) -> Project:
        """Delete a trashed project for good (admins). Returns the purged row."""
        return ops.rpc("purge_project", {"project_id": project_id}, model=Project, what=f"project {project_id}")

    @operation
    def trash(self, organization_id: str | None = None) -> list[Project]:
        """Trashed projects you may see (of one organization if given), oldest deletion first."""
        filters = (ops.eq("organization_id", organization_id),) if organization_id is not None else ()
        return ops.select("trashed_projects", *filters, model=Project, order=(("deleted_at", False), ("id", False)))

    @operation
    def empty_trash(self, organization_id: str | None = None, *,
                    older_than: timedelta | str = timedelta(days=30)) -> int:
        """Purge what has been in the trash longer than `older_than` (admins; the service
        role may omit the organization to clean every one). Returns how many went."""
        args = {"older_than": older_than}
        if organization_id is not None:
            args["organization_id"] = organization_id
        return ops.rpc("empty_trash", args, shape="scalar")
