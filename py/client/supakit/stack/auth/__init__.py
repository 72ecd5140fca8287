"""The local stack's `/auth/v1`: the password flows of Supabase Auth (GoTrue), served locally.

GoTrue itself cannot be installed here, so this package serves the part of its API
that supabase-py's and supabase-js's auth clients call for email and password
sign-in, with GoTrue's request and response shapes, status codes and error codes,
writing GoTrue's own tables (`auth.users`, `auth.identities`, `auth.sessions`,
`auth.refresh_tokens`). What is served and what is not: docs/stack.md.
"""

from .server import AuthServer, start_auth
from .settings import AuthSettings
from .users import create_user

__all__ = ["AuthServer", "AuthSettings", "create_user", "start_auth"]
