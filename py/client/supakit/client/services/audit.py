"""audit_logs: written by the database; read by an organization's admins through an RPC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import ops
from ..models import AuditLog
from .base import Service, operation


class Audit(Service):
    @operation
    def list(
        self,
        organization_id: str,
        *,
        entity_type: str | None = None,
        user_id: str | None = None,
        before: datetime | AuditLog | None = None,
        before_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[AuditLog]:
        """An organization's log, newest first (admins).

        Pages: pass the last row you got as `before` (or its `created_at` and `id` as
        `before` and `before_id`) for the next page, stable while new entries arrive;
        or an `offset`.
        """
        if isinstance(before, AuditLog):
            before, before_id = before.created_at, before.id
        args = {"organization_id": organization_id, "page_size": limit, "page_offset": offset}
        optional = {"entity_type": entity_type, "user_id": user_id, "before": before, "before_id": before_id}
        args |= {k: v for k, v in optional.items() if v is not None}
        return ops.rpc("list_audit_logs", args, shape="many", model=AuditLog)

    @operation
    def log(self, action: str, *, organization_id: str | None = None, entity_type: str = "session",
            entity_id: str | None = None, details: dict[str, Any] | None = None) -> AuditLog:
        """Record an app event (login, logout, invite, remove) in your name."""
        args: dict[str, Any] = {"action": action, "entity_type": entity_type}
        optional = {"organization_id": organization_id, "entity_id": entity_id, "details": details}
        args |= {k: v for k, v in optional.items() if v is not None}
        return ops.rpc("log_event", args, model=AuditLog, what="audit entry")
