"""The client's subscriptions service, over every transport (tests/client/conftest.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from supakit.client import Conflict, NotFound, PermissionDenied, ValidationError
from supakit.client.models import Subscription, SubscriptionStatus


# --- subscriptions ------------------------------------------------------------------------


def test_subscriptions_get(team):
    subscription = team.viewer.subscriptions.get(team.org.id)
    assert isinstance(subscription, Subscription) and subscription.organization_id == team.org.id
    assert subscription.current_period_end - subscription.current_period_start == timedelta(days=14)
    with pytest.raises(NotFound):
        team.outsider.subscriptions.get(team.org.id)


def test_subscriptions_upsert_from_a_billing_event(team):
    end = datetime(2031, 1, 31, 12, 0, tzinfo=timezone.utc)
    first = team.service.subscriptions.upsert(
        team.org.id, status="active", stripe_customer_id=f"cus_{uuid.uuid4().hex[:10]}",
        stripe_subscription_id=f"sub_{uuid.uuid4().hex[:10]}", current_period_end=end,
    )
    assert (first.status, first.current_period_end) == (SubscriptionStatus.active, end)
    second = team.service.subscriptions.upsert(team.org.id, status="past_due", cancel_at_period_end=True)
    assert second.id == first.id and second.stripe_customer_id == first.stripe_customer_id
    assert (second.status, second.cancel_at_period_end) == (SubscriptionStatus.past_due, True)
    assert team.member.subscriptions.get(team.org.id).status == SubscriptionStatus.past_due


def test_subscriptions_upsert_refusals(team):
    with pytest.raises(PermissionDenied):
        team.admin.subscriptions.upsert(team.org.id, status="active")
    with pytest.raises(ValidationError) as info:
        team.service.subscriptions.upsert(team.org.id, status="free forever")
    assert info.value.code == "22P02"
    with pytest.raises(Conflict):  # no such organization: a foreign key violation
        team.service.subscriptions.upsert(str(uuid.uuid4()), status="active")
