"""Signing up and in through GoTrue's API (supakit's auth service), as an app would."""

from __future__ import annotations

import uuid

import pytest
from supabase import ClientOptions, create_client
from supabase_auth.errors import AuthApiError

PASSWORD = "correct horse battery"


def client_for(endpoint, key: str | None = None):
    """A fresh app: its own supabase-py client and session store, on `endpoint` (a running REST stack)."""
    return create_client(endpoint.url, key or endpoint.anon_key, options=ClientOptions(auto_refresh_token=False))


def email(prefix: str = "auth") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"


def api_error(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as info:
        call()
    return info.value
