"""GoTrue's admin users API (`/admin/users`): for the service role only.

Follows GoTrue's `internal/api/admin.go`: list (paged, newest first), create (with
an explicit id if given, confirmed if `email_confirm`), get, update and delete
(hard, or soft as GoTrue's SoftDeleteUser).
"""

from __future__ import annotations

import uuid

from psycopg import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import store
from .app import DUPLICATE_EMAIL, Auth, bounded_int
from .errors import bad_request, not_found, unprocessable
from .users import insert_user_query, user_params


async def admin_list(auth: Auth, request: Request) -> Response:
    auth.require_admin(request)
    page = bounded_int(request.query_params.get("page"), 1, 1, 1_000_000)
    per_page = bounded_int(request.query_params.get("per_page"), 50, 1, 1000)
    aud = auth.aud(request)
    async with auth.pool.connection() as conn:
        total = (await (await conn.execute("select count(*) from auth.users where aud = %s", (aud,))).fetchone())[0]
        cur = await conn.execute(
            "select id from auth.users where aud = %s order by created_at desc, id limit %s offset %s",
            (aud, per_page, (page - 1) * per_page))
        users = [(await store.user_by_id(conn, str(r[0]))).json() for r in await cur.fetchall()]
    last = max(1, -(-total // per_page))
    links = [f'</admin/users?page={page + 1}&per_page={per_page}>; rel="next"'] if page < last else []
    links.append(f'</admin/users?page={last}&per_page={per_page}>; rel="last"')
    return JSONResponse({"users": users, "aud": aud}, headers={"x-total-count": str(total), "link": ", ".join(links)})

async def admin_create(auth: Auth, request: Request) -> Response:
    auth.require_admin(request)
    params = await auth.body(request)
    email, phone = params.get("email") or "", params.get("phone") or ""
    aud = params.get("aud") or auth.aud(request)
    if not email and not phone:
        raise bad_request("validation_failed", "Cannot create a user without either an email or phone")
    if phone:
        raise bad_request("phone_provider_disabled", "Phone users are not supported by supakit's local auth")
    email = auth.validate_email(email)
    password, password_hash = params.get("password"), params.get("password_hash")
    if password and password_hash:
        raise bad_request("validation_failed", "Only a password or a password hash should be provided")
    if password_hash:
        raise bad_request("validation_failed", "password_hash is not supported by supakit's local auth")
    if password:
        auth.check_password_strength(str(password))
    user_id = params.get("id")
    if user_id is not None:
        try:
            parsed = uuid.UUID(str(user_id))
        except ValueError:
            raise bad_request("validation_failed", "ID must conform to the uuid v4 format") from None
        if parsed.int == 0:
            raise bad_request("validation_failed", "ID cannot be a nil uuid")
        user_id = str(parsed)
    user_metadata = params.get("user_metadata") or {}
    app_metadata = params.get("app_metadata") or {}
    async with auth.pool.connection() as conn:
        if await store.email_taken(conn, email, aud):
            raise unprocessable("email_exists", DUPLICATE_EMAIL)
        values = user_params(email, password or None, user_metadata, user_id=user_id,
                             confirmed=bool(params.get("email_confirm")), extra_app_metadata=app_metadata,
                             cost=auth.settings.bcrypt_cost, aud=aud, role=params.get("role") or "authenticated")
        cur = await conn.execute(insert_user_query(auth.crypt_schema), values)
        new_id = str((await cur.fetchone())[0])
        await store.apply_ban(conn, new_id, params.get("ban_duration"))
        return JSONResponse((await store.user_by_id(conn, new_id)).json())

async def admin_user(auth: Auth, conn: AsyncConnection, request: Request) -> store.User:
    auth.require_admin(request)
    raw = request.path_params["user_id"]
    try:
        user_id = str(uuid.UUID(raw))
    except ValueError:
        raise not_found("validation_failed", "user_id must be an UUID") from None
    user = await store.user_by_id(conn, user_id)
    if user is None:
        raise not_found("user_not_found", "User not found")
    return user

async def admin_get(auth: Auth, request: Request) -> Response:
    async with auth.pool.connection() as conn:
        return JSONResponse((await admin_user(auth, conn, request)).json())

async def admin_update(auth: Auth, request: Request) -> Response:
    async with auth.pool.connection() as conn:
        user = await admin_user(auth, conn, request)
        params = await auth.body(request)
        if params.get("role"):
            await conn.execute("update auth.users set role = %s, updated_at = now() where id = %s",
                               (str(params["role"]), user.id))
        if params.get("email"):
            email = auth.validate_email(params["email"])
            if email != (user.row["email"] or "") and await store.email_taken(conn, email, user.row["aud"], user.id):
                raise unprocessable("email_exists", DUPLICATE_EMAIL)
            await store.set_email(conn, user.id, email)
        if params.get("password"):
            auth.check_password_strength(str(params["password"]))
            await store.set_password(conn, auth.crypt_schema, user.id, str(params["password"]), auth.settings.bcrypt_cost)
            await store.logout(conn, user.id, None, "global")
        if params.get("email_confirm") is True:
            await conn.execute("update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), "
                               "confirmation_token = '' where id = %s", (user.id,))
        for key, column in (("user_metadata", "raw_user_meta_data"), ("app_metadata", "raw_app_meta_data")):
            if isinstance(params.get(key), dict):
                await store.merge_metadata(conn, user.id, column, params[key])
        await store.apply_ban(conn, user.id, params.get("ban_duration"))
        return JSONResponse((await store.user_by_id(conn, user.id)).json())

async def admin_delete(auth: Auth, request: Request) -> Response:
    async with auth.pool.connection() as conn:
        user = await admin_user(auth, conn, request)
        params = await auth.body(request)
        if params.get("should_soft_delete"):
            await store.soft_delete(conn, user.id)
        else:
            await conn.execute("delete from auth.users where id = %s", (user.id,))
    return JSONResponse({})
