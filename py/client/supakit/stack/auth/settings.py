"""The auth server's settings, passed to its process through the environment."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from ... import config, tokens

ENV = "SUPAKIT_AUTH_SETTINGS"


@dataclass(frozen=True)
class AuthSettings:
    """GoTrue's settings that the password flows read, with `supabase start`'s defaults."""

    db_url: str
    jwt_secret: str = tokens.DEFAULT_JWT_SECRET
    # The gateway's URL: links and the `iss` claim name `<api_url>/auth/v1`, as GoTrue's API_EXTERNAL_URL.
    api_url: str = "http://127.0.0.1:54321"
    site_url: str = "http://127.0.0.1:3000"
    jwt_exp: int = 3600
    # Off, as `supabase start`'s config (`[auth.email] enable_confirmations = false`).
    email_confirmations: bool = False
    minimum_password_length: int = 6
    # GoTrue's `refresh_token_reuse_interval`: a rotated token still works this many seconds.
    refresh_token_reuse_interval: int = 10
    # bcrypt cost: GoTrue's is 10.
    bcrypt_cost: int = 10

    @property
    def issuer(self) -> str:
        return f"{self.api_url}/auth/v1"

    def to_env(self) -> dict[str, str]:
        return {ENV: json.dumps(asdict(self))}

    @classmethod
    def from_env(cls) -> AuthSettings:
        raw = config.env(ENV)
        if not raw:
            raise RuntimeError(f"{ENV} is not set: start the auth server with supakit.stack.auth.start_auth")
        return cls(**json.loads(raw))
