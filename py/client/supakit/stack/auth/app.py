"""The `/auth/v1` API: GoTrue's password flows and admin users API, as an ASGI app.

Each handler follows the GoTrue handler of the same name (supabase/auth,
internal/api): the same checks in the same order, the same status and error code
for each failure. Passwords go to Postgres only as query parameters, hashed there
by pgcrypto's bcrypt; they are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import jwt
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ... import tokens
from . import store
from .errors import INVALID_LOGIN, ApiError, WeakPassword, bad_request, forbidden, unprocessable
from .settings import AuthSettings
from .users import PGCRYPTO_SCHEMA, insert_user_query, user_params

log = logging.getLogger("supakit.stack.auth")

MAX_PASSWORD_LENGTH = 72
MAX_BODY = 64 * 1024
ADMIN_ROLES = ("service_role", "supabase_admin")
EMAIL_RE = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
VERSION = "supakit-local"
DUPLICATE_EMAIL = "A user with this email address has already been registered"


class Auth:
    """The handlers, sharing the settings, the pool and the pgcrypto schema."""

    def __init__(self, settings: AuthSettings):
        self.settings = settings
        # Checked on checkout: a connection cut by `supakit db reset` is replaced, not handed out.
        self.pool = AsyncConnectionPool(settings.db_url, min_size=1, max_size=5, open=False,
                                        kwargs={"autocommit": False}, check=AsyncConnectionPool.check_connection)
        self.crypt_schema = "extensions"

    async def open(self) -> None:
        await self.pool.open(wait=True)
        async with self.pool.connection() as conn:
            row = await (await conn.execute(PGCRYPTO_SCHEMA)).fetchone()
        if row is None:
            raise RuntimeError("pgcrypto is not installed: the supakit bootstrap creates it")
        self.crypt_schema = row[0]

    # -- request helpers

    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ApiError(413, "request_entity_too_large", f"Request body too large (max {MAX_BODY} bytes)")
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise bad_request("bad_json", f"Could not parse request body as JSON: {exc}") from None
        if not isinstance(data, dict):
            raise bad_request("bad_json", "Could not parse request body as JSON: expected an object")
        return data

    @staticmethod
    def aud(request: Request) -> str:
        return request.headers.get("x-jwt-aud") or "authenticated"

    def claims(self, request: Request) -> dict[str, Any]:
        """GoTrue's requireAuthentication's first half: a bearer token signed with the secret."""
        match = re.fullmatch(r"(?i)bearer (\S+)", request.headers.get("authorization", ""))
        if not match:
            raise ApiError(401, "no_authorization", "This endpoint requires a valid Bearer token")
        try:
            return jwt.decode(match.group(1), self.settings.jwt_secret, algorithms=["HS256"],
                              options={"verify_aud": False})
        except jwt.ExpiredSignatureError:
            reason = "token has invalid claims: token is expired"
        except jwt.InvalidSignatureError:
            reason = "token signature is invalid: signature is invalid"
        except jwt.InvalidTokenError as exc:
            reason = f"token is malformed: {exc}"
        raise forbidden("bad_jwt", f"invalid JWT: unable to parse or verify signature, {reason}")

    async def current(self, conn: AsyncConnection, request: Request) -> tuple[dict, store.User, str | None]:
        """GoTrue's requireAuthentication: the token's user (and session) must still exist."""
        claims = self.claims(request)
        sub = claims.get("sub")
        if not sub:
            raise forbidden("bad_jwt", "invalid claim: missing sub claim")
        try:
            uuid.UUID(str(sub))
        except ValueError:
            raise bad_request("bad_jwt", "invalid claim: sub claim must be a UUID") from None
        user = await store.user_by_id(conn, str(sub))
        if user is None:
            raise forbidden("user_not_found", "User from sub claim in JWT does not exist")
        session_id = claims.get("session_id")
        if session_id and session_id != str(uuid.UUID(int=0)):
            try:
                uuid.UUID(str(session_id))
            except ValueError:
                raise forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID") from None
            if not await store.session_exists(conn, session_id):
                raise forbidden("session_not_found", "Session from session_id claim in JWT does not exist")
        else:
            session_id = None
        if user.row["banned"]:
            raise forbidden("user_banned", "User is banned")
        return claims, user, session_id

    def require_admin(self, request: Request) -> dict[str, Any]:
        claims = self.claims(request)
        if claims.get("role") not in ADMIN_ROLES:
            raise forbidden("not_admin", "User not allowed")
        return claims

    def check_password_strength(self, password: str) -> None:
        if len(password.encode()) > MAX_PASSWORD_LENGTH:
            raise bad_request("validation_failed", f"Password cannot be longer than {MAX_PASSWORD_LENGTH} characters")
        minimum = self.settings.minimum_password_length
        if len(password) < minimum:
            raise WeakPassword(f"Password should be at least {minimum} characters.", ["length"])

    @staticmethod
    def validate_email(email: Any) -> str:
        if not email or not isinstance(email, str):
            raise bad_request("validation_failed", "An email address is required")
        if len(email) > 255:
            raise bad_request("validation_failed", "An email address is too long")
        if not EMAIL_RE.match(email):
            raise bad_request("validation_failed", "Unable to validate email address: invalid format")
        return email.lower()

    def link(self, token: str, kind: str, redirect_to: str | None) -> str:
        query = {"token": token, "type": kind, "redirect_to": redirect_to or self.settings.site_url}
        return f"{self.settings.issuer}/verify?{urlencode(query)}"

    def mail(self, email: str, what: str, url: str) -> None:
        """No mail is sent locally: the link goes to the auth server's log, as Inbucket would show it."""
        log.info("%s for %s: %s", what, email, url)

    async def session_response(self, conn: AsyncConnection, user_id: str, issued: store.Issued) -> dict[str, Any]:
        """GoTrue's AccessTokenResponse, its access token carrying GoTrue's claims."""
        user = await store.user_by_id(conn, user_id)
        assert user is not None
        now = int(time.time())
        expires_at = now + self.settings.jwt_exp
        r = user.row
        claims = {
            "iss": self.settings.issuer, "sub": user.id, "aud": r["aud"], "exp": expires_at, "iat": now,
            "email": r["email"] or "", "phone": r["phone"] or "",
            "app_metadata": r["raw_app_meta_data"] or {}, "user_metadata": r["raw_user_meta_data"] or {},
            "role": r["role"], "aal": "aal1", "amr": issued.amr, "session_id": issued.session_id,
            "is_anonymous": bool(r["is_anonymous"]),
        }
        return {
            "access_token": tokens.sign(claims, self.settings.jwt_secret), "token_type": "bearer",
            "expires_in": self.settings.jwt_exp, "expires_at": expires_at,
            "refresh_token": issued.refresh_token, "user": user.json(),
        }

    # -- endpoints

    async def health(self, request: Request) -> Response:
        return JSONResponse({"version": VERSION, "name": "GoTrue",
                             "description": "supakit's local stand-in for GoTrue's password flows"})

    async def settings_endpoint(self, request: Request) -> Response:
        external = {name: False for name in ("anonymous_users", "apple", "azure", "github", "google", "phone", "saml")}
        external["email"] = True
        return JSONResponse({
            "external": external, "disable_signup": False,
            "mailer_autoconfirm": not self.settings.email_confirmations, "phone_autoconfirm": False,
            "sms_provider": "", "saml_enabled": False,
        })

    async def signup(self, request: Request) -> Response:
        params = await self.body(request)
        email, phone, password = params.get("email") or "", params.get("phone") or "", params.get("password") or ""
        if not email and not phone:
            raise unprocessable("anonymous_provider_disabled", "Anonymous sign-ins are disabled")
        if not password:
            raise bad_request("validation_failed", "Signup requires a valid password")
        self.check_password_strength(password)
        if email and phone:
            raise bad_request("validation_failed", "Only an email address or phone number should be provided on signup.")
        if phone:
            raise bad_request("phone_provider_disabled", "Phone signups are disabled")
        email = self.validate_email(email)
        data = params.get("data") or {}
        if not isinstance(data, dict):
            raise bad_request("bad_json", "Could not parse request body as JSON: data must be an object")
        aud, autoconfirm = self.aud(request), not self.settings.email_confirmations
        redirect_to = request.query_params.get("redirect_to")
        async with self.pool.connection() as conn:
            existing = await store.user_by_email(conn, email, aud)
            if existing is not None:
                if existing.row["email_confirmed_at"] is not None or autoconfirm:
                    if autoconfirm:
                        raise unprocessable("user_already_exists", "User already registered")
                    return JSONResponse(obfuscated_user(email, aud, data))
                token = secrets.token_hex(28)
                await conn.execute("update auth.users set confirmation_token = %s, confirmation_sent_at = now() "
                                   "where id = %s", (token, existing.id))
                self.mail(email, "confirmation link", self.link(token, "signup", redirect_to))
                return JSONResponse((await store.user_by_id(conn, existing.id)).json())
            token = "" if autoconfirm else secrets.token_hex(28)
            cur = await conn.execute(insert_user_query(self.crypt_schema), user_params(
                email, password, data, confirmed=autoconfirm, confirmation_token=token,
                cost=self.settings.bcrypt_cost, aud=aud))
            user_id = str((await cur.fetchone())[0])
            if not autoconfirm:
                self.mail(email, "confirmation link", self.link(token, "signup", redirect_to))
                return JSONResponse((await store.user_by_id(conn, user_id)).json())
            issued = await store.start_session(conn, user_id, "password", *client_of(request))
            return JSONResponse(await self.session_response(conn, user_id, issued))

    async def token(self, request: Request) -> Response:
        grant = request.query_params.get("grant_type")
        if grant == "password":
            return await self.password_grant(request)
        if grant == "refresh_token":
            return await self.refresh_grant(request)
        raise bad_request("invalid_credentials", "unsupported_grant_type")

    async def password_grant(self, request: Request) -> Response:
        params = await self.body(request)
        email, phone, password = params.get("email") or "", params.get("phone") or "", params.get("password") or ""
        if email and phone:
            raise bad_request("validation_failed", "Only an email address or phone number should be provided on login.")
        if phone:
            raise unprocessable("phone_provider_disabled", "Phone logins are disabled")
        if not email:
            raise bad_request("validation_failed", "missing email or phone")
        async with self.pool.connection() as conn:
            user = await store.user_by_email(conn, str(email), self.aud(request))
            if user is None or not user.row["has_password"]:
                raise bad_request("invalid_credentials", INVALID_LOGIN)
            if user.row["banned"]:
                raise bad_request("user_banned", "User is banned")
            if not await store.password_matches(conn, self.crypt_schema, user.id, str(password)):
                raise bad_request("invalid_credentials", INVALID_LOGIN)
            if user.row["email_confirmed_at"] is None:
                raise bad_request("email_not_confirmed", "Email not confirmed")
            issued = await store.start_session(conn, user.id, "password", *client_of(request))
            return JSONResponse(await self.session_response(conn, user.id, issued))

    async def refresh_grant(self, request: Request) -> Response:
        params = await self.body(request)
        token = params.get("refresh_token")
        if not token or not isinstance(token, str):
            return JSONResponse({"error": "invalid_request", "error_description": "refresh_token required"}, 400)
        async with self.pool.connection() as conn:
            row = await store.lock_refresh_token(conn, token)
            if row is None:
                raise bad_request("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
            user = await store.user_by_id(conn, row.user_id)
            if user is None:
                raise bad_request("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
            if user.row["banned"]:
                raise bad_request("user_banned", "Invalid Refresh Token: User Banned")
            if not row.session_alive or row.session_id is None:
                raise bad_request("session_not_found", "Invalid Refresh Token: No Valid Session Found")
            if row.session_not_after is not None and row.session_not_after < datetime.now(timezone.utc):
                raise bad_request("session_expired", "Invalid Refresh Token: Session Expired")
            issued_token = None
            if row.revoked:
                active = await store.active_token(conn, row.session_id)
                if active is not None and active[1] == row.token:
                    issued_token = active[0]  # the client lost the last answer: hand it the live child again
                elif datetime.now(timezone.utc) > row.updated_at + timedelta(
                        seconds=self.settings.refresh_token_reuse_interval):
                    await store.revoke_family(conn, row.session_id)
                    await conn.commit()  # the family stays revoked although the request fails
                    log.warning("refresh token reuse outside the reuse interval: session %s revoked", row.session_id)
                    raise bad_request("refresh_token_already_used", "Invalid Refresh Token: Already Used")
            if issued_token is None:
                issued_token = await store.rotate(conn, row)
            amr = await store.session_amr(conn, row.session_id)
            issued = store.Issued(row.session_id, issued_token, amr)
            return JSONResponse(await self.session_response(conn, user.id, issued))

    async def get_user(self, request: Request) -> Response:
        async with self.pool.connection() as conn:
            claims, user, _ = await self.current(conn, request)
            if claims.get("aud") != self.aud(request):
                raise bad_request("validation_failed", "Token audience doesn't match request audience")
            return JSONResponse(user.json())

    async def update_user(self, request: Request) -> Response:
        params = await self.body(request)
        async with self.pool.connection() as conn:
            _, user, session_id = await self.current(conn, request)
            if params.get("app_data") is not None or params.get("app_metadata") is not None:
                raise forbidden("not_admin", "Updating app_metadata requires admin privileges")
            if params.get("phone"):
                raise unprocessable("phone_provider_disabled", "Phone logins are disabled")
            email = params.get("email")
            if email:
                email = self.validate_email(email)
                if email != (user.row["email"] or "") and await store.email_taken(conn, email, user.row["aud"], user.id):
                    raise unprocessable("email_exists", DUPLICATE_EMAIL)
            password = params.get("password")
            if password is not None:
                if not isinstance(password, str):
                    raise bad_request("bad_json", "Could not parse request body as JSON: password must be a string")
                self.check_password_strength(password)
                if password and user.row["has_password"] and await store.password_matches(
                        conn, self.crypt_schema, user.id, password):
                    raise unprocessable("same_password", "New password should be different from the old password.")
                await store.set_password(conn, self.crypt_schema, user.id, password, self.settings.bcrypt_cost)
                await store.logout(conn, user.id, session_id, "others")  # GoTrue's UpdatePassword
            data = params.get("data")
            if isinstance(data, dict):
                await store.merge_metadata(conn, user.id, "raw_user_meta_data", data)
            if email and email != (user.row["email"] or ""):
                await self.change_email(conn, user, email, request.query_params.get("redirect_to"))
            return JSONResponse((await store.user_by_id(conn, user.id)).json())

    async def change_email(self, conn: AsyncConnection, user: store.User, email: str, redirect_to: str | None) -> None:
        if not self.settings.email_confirmations:
            await store.set_email(conn, user.id, email)
            return
        token = secrets.token_hex(28)
        await conn.execute(
            "update auth.users set email_change = %s, email_change_token_new = %s, email_change_sent_at = now(), "
            "updated_at = now() where id = %s", (email, token, user.id))
        self.mail(email, "email change link", self.link(token, "email_change", redirect_to))

    async def logout(self, request: Request) -> Response:
        scope = request.query_params.get("scope") or "global"
        if scope not in ("global", "local", "others"):
            raise bad_request("validation_failed", f'Unsupported logout scope "{scope}"')
        async with self.pool.connection() as conn:
            _, user, session_id = await self.current(conn, request)
            await store.logout(conn, user.id, session_id, scope)
        return Response(status_code=204)

    async def verify(self, request: Request) -> Response:
        """The link of a confirmation mail: confirm, sign in, redirect with the session in the fragment."""
        token, kind = request.query_params.get("token", ""), request.query_params.get("type", "")
        redirect_to = request.query_params.get("redirect_to") or self.settings.site_url
        column = {"signup": "confirmation_token", "email_change": "email_change_token_new"}.get(kind)
        if column is None:
            raise bad_request("validation_failed", "Verify requires a verification type")
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"select id, email_change from auth.users where {column} = %s and %s <> ''", (token, token))
            row = await cur.fetchone()
            if row is None:
                fragment = urlencode({"error": "access_denied", "error_code": "otp_expired",
                                      "error_description": "Email link is invalid or has expired"})
                return RedirectResponse(f"{redirect_to}#{fragment}", 303)
            user_id = str(row[0])
            if kind == "signup":
                await conn.execute(
                    "update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), "
                    "confirmation_token = '', updated_at = now() where id = %s", (user_id,))
            else:
                await store.set_email(conn, user_id, row[1])
            issued = await store.start_session(conn, user_id, "otp", *client_of(request))
            session = await self.session_response(conn, user_id, issued)
        fragment = urlencode({k: session[k] for k in ("access_token", "expires_at", "expires_in", "refresh_token",
                                                      "token_type")} | {"type": kind})
        return RedirectResponse(f"{redirect_to}#{fragment}", 303)

def obfuscated_user(email: str, aud: str, data: dict) -> dict[str, Any]:
    """GoTrue's sanitizeUser: a repeated sign-up looks like a fresh one, so emails cannot be probed."""
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    return {"id": str(uuid.uuid4()), "aud": aud, "role": "", "email": email, "phone": "",
            "confirmation_sent_at": now, "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": data, "identities": [], "created_at": now, "updated_at": now, "is_anonymous": False}


def client_of(request: Request) -> tuple[str | None, str | None]:
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    ip = forwarded or (request.client.host if request.client else None)
    return request.headers.get("user-agent"), ip or None


def bounded_int(raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("validation_failed", f"Bad Pagination Parameters: {raw!r} is not a number") from None
    return min(max(value, low), high)


def handler(auth: Auth, method: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Errors as GoTrue renders them, in the API version the client asked for."""

    async def endpoint(request: Request) -> Response:
        try:
            return await method(request)
        except ApiError as exc:
            return exc.response(request.headers.get("x-supabase-api-version"))
        except Exception:
            log.exception("unexpected failure in %s %s", request.method, request.url.path)
            return ApiError(500, "unexpected_failure", "Internal Server Error").response(
                request.headers.get("x-supabase-api-version"))

    return endpoint


def create_app(settings: AuthSettings | None = None) -> Starlette:
    """The app; `uvicorn --factory supakit.stack.auth.app:create_app` reads the settings from the environment."""
    from . import admin  # it builds on this module's Auth

    auth = Auth(settings or AuthSettings.from_env())

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        await auth.open()
        yield
        await auth.pool.close()

    def route(path: str, method: Callable, *verbs: str) -> Route:
        return Route(path, handler(auth, method), methods=list(verbs))

    routes = [
        route("/health", auth.health, "GET"),
        route("/settings", auth.settings_endpoint, "GET"),
        route("/signup", auth.signup, "POST"),
        route("/token", auth.token, "POST"),
        route("/user", auth.get_user, "GET"),
        route("/user", auth.update_user, "PUT"),
        route("/logout", auth.logout, "POST"),
        route("/verify", auth.verify, "GET"),
        route("/admin/users", partial(admin.admin_list, auth), "GET"),
        route("/admin/users", partial(admin.admin_create, auth), "POST"),
        route("/admin/users/{user_id}", partial(admin.admin_get, auth), "GET"),
        route("/admin/users/{user_id}", partial(admin.admin_update, auth), "PUT"),
        route("/admin/users/{user_id}", partial(admin.admin_delete, auth), "DELETE"),
    ]

    async def not_found_handler(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        code = "method_not_allowed" if status == 405 else "not_found"
        return ApiError(status, code, "Not Found" if status == 404 else "Method Not Allowed").response(
            request.headers.get("x-supabase-api-version"))

    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found_handler, 405: not_found_handler})
