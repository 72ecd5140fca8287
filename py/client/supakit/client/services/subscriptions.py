"""subscriptions: an organization's billing state; written by billing webhooks only."""

from __future__ import annotations

from datetime import datetime

from .. import ops
from ..models import Subscription
from .base import UNSET, Service, given, operation


class Subscriptions(Service):
    @operation
    def get(self, organization_id: str) -> Subscription:
        """The organization's subscription (its members read it)."""
        return ops.select("subscriptions", ops.eq("organization_id", organization_id), model=Subscription,
                          shape="one", what=f"subscription of organization {organization_id}")

    @operation
    def upsert(
        self,
        organization_id: str,
        *,
        status: str = UNSET,
        stripe_customer_id: str | None = UNSET,
        stripe_subscription_id: str | None = UNSET,
        stripe_price_id: str | None = UNSET,
        current_period_start: datetime | None = UNSET,
        current_period_end: datetime | None = UNSET,
        cancel_at_period_end: bool = UNSET,
    ) -> Subscription:
        """Create or update from a billing event (service role): one row per organization.

        Only the fields given are written; on an existing row the others keep their values.
        """
        row = {"organization_id": organization_id} | given(
            status=status, stripe_customer_id=stripe_customer_id, stripe_subscription_id=stripe_subscription_id,
            stripe_price_id=stripe_price_id, current_period_start=current_period_start,
            current_period_end=current_period_end, cancel_at_period_end=cancel_at_period_end,
        )
        return ops.upsert("subscriptions", row, on_conflict="organization_id", model=Subscription,
                          what=f"subscription of organization {organization_id}")
