"""profiles: one per auth user with an email (created by the database, not here)."""

from __future__ import annotations


from .. import ops
from ..models import Profile
from .base import UNSET, Service, given, operation, required


class Profiles(Service):
    @operation
    def get(self, user_id: str | None = None) -> Profile:
        """A profile you may see (yours, or a co-member's); yours by default."""
        user_id = user_id or self.user_id
        return ops.select("profiles", ops.eq("id", user_id), model=Profile, shape="one", what=f"profile {user_id}")

    @operation
    def get_by_email(self, email: str) -> Profile:
        """The profile with this email. For the service role: users may not probe addresses."""
        return ops.select("profiles", ops.eq("email", email), model=Profile, shape="one", what=f"profile <{email}>")

    @operation
    def update_own(self, *, name: str | None = UNSET, avatar_url: str | None = UNSET) -> Profile:
        """Change your name or avatar (the only columns a user may write)."""
        values = required(given(name=name, avatar_url=avatar_url), "your profile")
        user_id = self.user_id
        rows = yield from ops.changed(
            ops.update("profiles", values, ops.eq("id", user_id), model=Profile, what=f"profile {user_id}"),
            verb="update",
        )
        return rows[0]

    @operation
    def delete(self, user_id: str) -> Profile:
        """Delete a profile (service role; the auth user stays). Returns the deleted row."""
        rows = yield from ops.changed(
            ops.delete("profiles", ops.eq("id", user_id), model=Profile, what=f"profile {user_id}"),
            ops.select("profiles", ops.eq("id", user_id)),
            verb="delete",
        )
        return rows[0]
