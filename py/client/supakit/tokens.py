"""JWTs shaped like Supabase's: API keys (anon, service_role) and user access tokens."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

# The secret `supabase start` uses for local development; never for production.
DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
ISSUER = "supakit"
# API keys are a pure function of role and secret, like `supabase start`'s fixed
# keys: the gateway, `supakit status` and every client must print the same key.
API_KEY_ISSUED_AT = 1735689600  # 2025-01-01
API_KEY_LIFETIME = 20 * 365 * 24 * 3600


def api_key(role: str, secret: str = DEFAULT_JWT_SECRET) -> str:
    """An `anon` or `service_role` key, as printed by `supabase start`."""
    claims = {"iss": ISSUER, "role": role, "iat": API_KEY_ISSUED_AT, "exp": API_KEY_ISSUED_AT + API_KEY_LIFETIME}
    return sign(claims, secret)


def user_claims(
    user_id: str,
    email: str | None = None,
    user_metadata: dict[str, Any] | None = None,
    lifetime: int = 3600,
    session_id: str | None = None,
) -> dict[str, Any]:
    """The claims Supabase Auth puts in a signed-in user's access token."""
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": "authenticated",
        "sub": str(user_id),
        "email": email or "",
        "phone": "",
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": session_id or str(uuid.uuid4()),
        "is_anonymous": False,
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": user_metadata or {},
        "iat": now,
        "exp": now + lifetime,
    }


def sign(claims: dict[str, Any], secret: str = DEFAULT_JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def decode(token: str, secret: str = DEFAULT_JWT_SECRET) -> dict[str, Any]:
    """Verify like PostgREST does: signature and expiry, any audience."""
    return jwt.decode(token, secret, algorithms=["HS256"], options={"verify_aud": False})
