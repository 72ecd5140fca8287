"""`/auth/v1` through the real gateway and the real auth server, driven by supabase-py's auth client.

Every error case asserts GoTrue's status and error code as supabase-py surfaces them
(AuthApiError.status / .code, AuthWeakPasswordError), so an app's error handling
written against Supabase behaves the same against the local stack.
"""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest
from supabase_auth.errors import AuthWeakPasswordError

from supakit import tokens

from helpers.auth import PASSWORD, api_error, client_for, email


def test_sign_up_returns_a_session_with_gotrue_claims_and_rows(rest, rest_db):
    app, address = client_for(rest), email()
    response = app.auth.sign_up({"email": address, "password": PASSWORD, "options": {"data": {"name": "Ada"}}})
    assert response.session is not None and response.user is not None
    user = response.user
    assert user.email == address and user.user_metadata == {"name": "Ada"}
    assert user.app_metadata == {"provider": "email", "providers": ["email"]}
    assert user.aud == "authenticated" and user.role == "authenticated"
    assert [i.provider for i in user.identities] == ["email"]
    claims = tokens.decode(response.session.access_token, rest.jwt_secret)
    assert set(claims) >= {"sub", "role", "aud", "email", "phone", "app_metadata", "user_metadata", "aal", "amr",
                           "session_id", "iat", "exp", "iss", "is_anonymous"}
    assert claims["sub"] == user.id and claims["role"] == "authenticated" and claims["aud"] == "authenticated"
    assert claims["aal"] == "aal1" and claims["amr"][0]["method"] == "password"
    assert claims["iss"] == f"{rest.url}/auth/v1" and claims["exp"] - claims["iat"] == 3600
    row = rest_db.execute(
        "select aud, role, encrypted_password, raw_user_meta_data, raw_app_meta_data, email_confirmed_at is not null, "
        "last_sign_in_at is not null from auth.users where id = %s", (user.id,)).fetchone()
    assert row[0:2] == ("authenticated", "authenticated")
    assert row[2].startswith("$2a$10$") and PASSWORD not in row[2]  # bcrypt, as GoTrue stores it
    assert row[3] == {"name": "Ada"} and row[4]["provider"] == "email" and row[5] and row[6]
    assert rest_db.execute("select count(*) from auth.sessions where id = %s and user_id = %s",
                           (claims["session_id"], user.id)).fetchone()[0] == 1
    assert rest_db.execute("select count(*) from auth.refresh_tokens where token = %s and not revoked",
                           (response.session.refresh_token,)).fetchone()[0] == 1
    # The profile trigger saw the sign-up's metadata, as on Supabase.
    assert rest_db.execute("select name from public.profiles where id = %s", (user.id,)).fetchone()[0] == "Ada"


def test_sign_in_get_and_update_the_user(rest):
    address = email()
    client_for(rest).auth.sign_up({"email": address, "password": PASSWORD})
    app = client_for(rest)
    session = app.auth.sign_in_with_password({"email": address.upper(), "password": PASSWORD}).session
    assert session is not None and session.user.email == address
    assert app.auth.get_user().user.id == session.user.id
    updated = app.auth.update_user({"data": {"name": "Grace", "team": "x"}}).user
    assert updated.user_metadata == {"name": "Grace", "team": "x"}
    assert app.auth.update_user({"data": {"team": None}}).user.user_metadata == {"name": "Grace"}
    app.auth.update_user({"password": "a brand new secret"})
    fresh = client_for(rest)
    assert api_error(lambda: fresh.auth.sign_in_with_password(
        {"email": address, "password": PASSWORD})).code == "invalid_credentials"
    assert fresh.auth.sign_in_with_password({"email": address, "password": "a brand new secret"}).session


def test_refresh_rotates_and_sign_out_ends_the_session(rest, rest_db):
    address = email()
    app = client_for(rest)
    first = app.auth.sign_up({"email": address, "password": PASSWORD}).session
    second = app.auth.refresh_session().session
    assert second.refresh_token != first.refresh_token
    assert tokens.decode(second.access_token, rest.jwt_secret)["session_id"] == \
        tokens.decode(first.access_token, rest.jwt_secret)["session_id"]
    parent = rest_db.execute("select parent from auth.refresh_tokens where token = %s",
                             (second.refresh_token,)).fetchone()[0]
    assert parent == first.refresh_token
    app.auth.sign_out()
    assert app.auth.get_session() is None
    error = api_error(lambda: client_for(rest).auth.refresh_session(second.refresh_token))
    assert (error.status, error.code) == (400, "refresh_token_not_found")


def test_sign_up_errors(rest):
    app, address = client_for(rest), email()
    app.auth.sign_up({"email": address, "password": PASSWORD})
    error = api_error(lambda: client_for(rest).auth.sign_up({"email": address, "password": PASSWORD}))
    assert (error.status, error.code, error.message) == (422, "user_already_exists", "User already registered")
    with pytest.raises(AuthWeakPasswordError) as weak:
        client_for(rest).auth.sign_up({"email": email(), "password": "short"})
    assert (weak.value.status, weak.value.code, weak.value.reasons) == (422, "weak_password", ["length"])
    error = api_error(lambda: client_for(rest).auth.sign_up({"email": "not-an-email", "password": PASSWORD}))
    assert (error.status, error.code) == (400, "validation_failed")
    error = api_error(lambda: client_for(rest).auth.sign_up({"phone": "+15555550100", "password": PASSWORD}))
    assert (error.status, error.code) == (400, "phone_provider_disabled")


def test_sign_in_errors(rest, make_user):
    user = make_user()
    error = api_error(lambda: client_for(rest).auth.sign_in_with_password({"email": user.email, "password": "wrong!"}))
    assert (error.status, error.code, error.message) == (400, "invalid_credentials", "Invalid login credentials")
    error = api_error(lambda: client_for(rest).auth.sign_in_with_password({"email": email(), "password": PASSWORD}))
    assert (error.status, error.code) == (400, "invalid_credentials")
    error = api_error(lambda: client_for(rest).auth.sign_in_with_password({"phone": "+15555550100", "password": "x"}))
    assert (error.status, error.code) == (422, "phone_provider_disabled")


def test_make_user_users_sign_in_with_their_password(rest, make_user):
    user = make_user(name="Lin")
    app = client_for(rest)
    session = app.auth.sign_in_with_password({"email": user.email, "password": user.password}).session
    assert session.user.id == user.id and session.user.user_metadata == {"name": "Lin"}
    assert app.table("profiles").select("id, name").execute().data == [{"id": user.id, "name": "Lin"}]
    # The harness's own token names a real session too.
    assert client_for(rest).auth.get_user(user.token).user.id == user.id


def test_expired_forged_and_foreign_tokens_are_refused(rest, make_user):
    user = make_user()
    expired = tokens.sign(user.claims | {"exp": int(time.time()) - 10}, rest.jwt_secret)
    error = api_error(lambda: client_for(rest).auth.get_user(expired))
    assert (error.status, error.code) == (403, "bad_jwt") and "expired" in error.message
    forged = tokens.sign(user.claims, "another-secret-of-at-least-thirty-two-chars")
    error = api_error(lambda: client_for(rest).auth.get_user(forged))
    assert (error.status, error.code) == (403, "bad_jwt")
    tampered = user.token[:-6] + ("AAAAAA" if not user.token.endswith("AAAAAA") else "BBBBBB")
    assert api_error(lambda: client_for(rest).auth.get_user(tampered)).code == "bad_jwt"
    unsigned = jwt.encode(user.claims, key=None, algorithm="none")
    assert api_error(lambda: client_for(rest).auth.get_user(unsigned)).code == "bad_jwt"
    ghost = tokens.sign(user.claims | {"sub": str(uuid.uuid4())}, rest.jwt_secret)
    error = api_error(lambda: client_for(rest).auth.get_user(ghost))
    assert (error.status, error.code) == (403, "user_not_found")
    gone = tokens.sign(user.claims | {"session_id": str(uuid.uuid4())}, rest.jwt_secret)
    error = api_error(lambda: client_for(rest).auth.get_user(gone))
    assert (error.status, error.code) == (403, "session_not_found")
    error = api_error(lambda: client_for(rest).auth.get_user(rest.anon_key))
    assert (error.status, error.code) == (403, "bad_jwt")


def test_update_user_errors(rest, make_user):
    user, other = make_user(), make_user()
    app = client_for(rest)
    app.auth.sign_in_with_password({"email": user.email, "password": user.password})
    error = api_error(lambda: app.auth.update_user({"password": user.password}))
    assert (error.status, error.code) == (422, "same_password")
    with pytest.raises(AuthWeakPasswordError):
        app.auth.update_user({"password": "abc"})
    error = api_error(lambda: app.auth.update_user({"email": other.email}))
    assert (error.status, error.code) == (422, "email_exists")


def test_email_change_moves_the_profile_email(rest, rest_db, make_user):
    user = make_user()
    app = client_for(rest)
    app.auth.sign_in_with_password({"email": user.email, "password": user.password})
    new = email()
    assert app.auth.update_user({"email": new}).user.email == new
    assert rest_db.execute("select email from public.profiles where id = %s", (user.id,)).fetchone()[0] == new


def test_logout_scopes(rest, make_user):
    user = make_user()
    laptop, phone = client_for(rest), client_for(rest)
    laptop.auth.sign_in_with_password({"email": user.email, "password": user.password})
    phone_session = phone.auth.sign_in_with_password({"email": user.email, "password": user.password}).session
    laptop.auth.sign_out({"scope": "local"})
    assert phone.auth.refresh_session().session is not None  # the other session lives on
    phone.auth.sign_out()  # global
    assert api_error(lambda: client_for(rest).auth.refresh_session(phone_session.refresh_token)).code == \
        "refresh_token_not_found"
    response = httpx.post(f"{rest.auth_url}/logout?scope=nowhere",
                          headers={"apikey": rest.anon_key, "Authorization": f"Bearer {user.token}"})
    assert response.status_code == 400 and response.json()["error_code"] == "validation_failed"


def test_gateway_requires_an_api_key_and_speaks_both_error_versions(rest):
    assert httpx.get(f"{rest.auth_url}/settings").status_code == 401
    assert httpx.get(f"{rest.auth_url}/settings", headers={"apikey": "nope"}).status_code == 401
    settings = httpx.get(f"{rest.auth_url}/settings", headers={"apikey": rest.anon_key}).json()
    assert settings["external"]["email"] is True and settings["mailer_autoconfirm"] is True
    body = {"email": email(), "password": "x"}
    legacy = httpx.post(f"{rest.auth_url}/token?grant_type=password", json=body, headers={"apikey": rest.anon_key})
    assert legacy.status_code == 400 and legacy.json() == {
        "code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"}
    current = httpx.post(f"{rest.auth_url}/token?grant_type=password", json=body,
                         headers={"apikey": rest.anon_key, "X-Supabase-Api-Version": "2024-01-01"})
    assert current.json() == {"code": "invalid_credentials", "message": "Invalid login credentials"}
    assert current.headers["x-supabase-api-version"] == "2024-01-01"
    bad_json = httpx.post(f"{rest.auth_url}/signup", content=b"{nope", headers={"apikey": rest.anon_key})
    assert bad_json.status_code == 400 and bad_json.json()["error_code"] == "bad_json"
    grant = httpx.post(f"{rest.auth_url}/token?grant_type=magic", json={}, headers={"apikey": rest.anon_key})
    assert grant.status_code == 400 and grant.json()["msg"] == "unsupported_grant_type"
    missing = httpx.get(f"{rest.auth_url}/user", headers={"apikey": rest.anon_key})
    assert missing.status_code == 401  # no bearer: the gateway forwards none for /auth/v1
    assert missing.json()["error_code"] == "no_authorization"


def test_auth_tables_are_not_reachable_by_api_roles(rest, make_user):
    user = make_user()
    with pytest.raises(Exception, match="permission denied"):
        user.sql.execute("select encrypted_password from auth.users")
    response = httpx.get(f"{rest.rest_url}/users", headers={
        "apikey": rest.anon_key, "Authorization": f"Bearer {user.token}", "Accept-Profile": "auth"})
    assert response.status_code == 406  # PostgREST serves public only


# -- admin API -----------------------------------------------------------------------------------


def test_admin_users_api(rest, rest_db):
    admin = client_for(rest, rest.service_key).auth.admin
    address = email()
    created = admin.create_user({"email": address, "password": PASSWORD, "email_confirm": True,
                                 "user_metadata": {"name": "Admin Made"}, "app_metadata": {"plan": "pro"}}).user
    assert created.email == address and created.email_confirmed_at is not None
    assert created.app_metadata == {"provider": "email", "providers": ["email"], "plan": "pro"}
    assert admin.get_user_by_id(created.id).user.user_metadata == {"name": "Admin Made"}
    assert created.id in [u.id for u in admin.list_users(page=1, per_page=1000)]
    updated = admin.update_user_by_id(created.id, {"user_metadata": {"name": "Renamed"}, "ban_duration": "1h"}).user
    assert updated.user_metadata == {"name": "Renamed"} and updated.banned_until is not None
    error = api_error(lambda: client_for(rest).auth.sign_in_with_password({"email": address, "password": PASSWORD}))
    assert (error.status, error.code) == (400, "user_banned")
    admin.update_user_by_id(created.id, {"ban_duration": "none"})
    assert client_for(rest).auth.sign_in_with_password({"email": address, "password": PASSWORD}).session
    error = api_error(lambda: admin.create_user({"email": address, "password": PASSWORD}))
    assert (error.status, error.code) == (422, "email_exists")
    error = api_error(lambda: admin.create_user({"password": PASSWORD}))
    assert (error.status, error.code) == (400, "validation_failed")
    admin.delete_user(created.id)
    error = api_error(lambda: admin.get_user_by_id(created.id))
    assert (error.status, error.code) == (404, "user_not_found")
    assert rest_db.execute("select count(*) from public.profiles where id = %s", (created.id,)).fetchone()[0] == 0


def test_admin_soft_delete_replaces_the_email_and_keeps_the_profile(rest, rest_db):
    admin = client_for(rest, rest.service_key).auth.admin
    address = email()
    user = admin.create_user({"email": address, "password": PASSWORD, "email_confirm": True}).user
    admin.delete_user(user.id, should_soft_delete=True)
    row = rest_db.execute("select email, deleted_at is not null, encrypted_password from auth.users where id = %s",
                          (user.id,)).fetchone()
    assert row[0] != address and row[1] and row[2] is None
    assert api_error(lambda: client_for(rest).auth.sign_in_with_password(
        {"email": address, "password": PASSWORD})).code == "invalid_credentials"


def test_admin_api_needs_the_service_role(rest, make_user):
    user = make_user()
    error = api_error(lambda: client_for(rest).auth.admin.list_users())
    assert (error.status, error.code) == (403, "not_admin")
    as_user = client_for(rest)
    as_user.auth.sign_in_with_password({"email": user.email, "password": user.password})
    error = api_error(lambda: as_user.auth.admin.get_user_by_id(user.id))
    assert (error.status, error.code) == (403, "not_admin")


# -- the remaining error codes, over raw HTTP where supabase-py would refuse to send the request ----


def call(rest, method: str, path: str, *, token: str | None = None, key: str | None = None, **kwargs) -> httpx.Response:
    headers = {"apikey": key or rest.anon_key, "X-Supabase-Api-Version": "2024-01-01"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.request(method, f"{rest.auth_url}{path}", headers=headers, **kwargs)


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_sign_up_and_sign_in_validation_codes(rest):
    assert code_of(call(rest, "POST", "/signup", json={})) == (422, "anonymous_provider_disabled")
    assert code_of(call(rest, "POST", "/signup", json={"email": email()})) == (400, "validation_failed")
    assert code_of(call(rest, "POST", "/signup", json={"email": email(), "password": "x" * 73})) == \
        (400, "validation_failed")
    assert code_of(call(rest, "POST", "/signup", json={"email": email(), "phone": "+15555550100",
                                                       "password": PASSWORD})) == (400, "validation_failed")
    assert code_of(call(rest, "POST", "/signup", json=["not", "an", "object"])) == (400, "bad_json")
    assert code_of(call(rest, "POST", "/signup", content=b"x" * 70_000)) == (413, "request_entity_too_large")
    assert code_of(call(rest, "POST", "/token?grant_type=password", json={"password": "x"})) == \
        (400, "validation_failed")
    assert code_of(call(rest, "POST", "/token?grant_type=password",
                        json={"email": email(), "phone": "+15555550100", "password": "x"})) == (400, "validation_failed")
    missing = call(rest, "POST", "/token?grant_type=refresh_token", json={})
    assert missing.status_code == 400 and missing.json() == {
        "error": "invalid_request", "error_description": "refresh_token required"}
    assert code_of(call(rest, "GET", "/nowhere")) == (404, "not_found")
    assert code_of(call(rest, "DELETE", "/signup")) == (405, "method_not_allowed")


def test_refresh_of_an_expired_or_vanished_session(rest, rest_db, make_user):
    user = make_user()
    app = client_for(rest)
    session = app.auth.sign_in_with_password({"email": user.email, "password": user.password}).session
    session_id = tokens.decode(session.access_token, rest.jwt_secret)["session_id"]
    rest_db.execute("update auth.sessions set not_after = now() - interval '1 second' where id = %s", (session_id,))
    error = api_error(lambda: client_for(rest).auth.refresh_session(session.refresh_token))
    assert (error.status, error.code) == (400, "session_expired")
    # A refresh token with no session (GoTrue's tokens from before sessions existed).
    rest_db.execute("insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at) "
                    "values ('orphan-token', %s, false, now(), now())", (user.id,))
    error = api_error(lambda: client_for(rest).auth.refresh_session("orphan-token"))
    assert (error.status, error.code) == (400, "session_not_found")


def test_user_endpoint_codes(rest, make_user):
    user = make_user()
    assert code_of(call(rest, "PUT", "/user", token=user.token, json={"app_metadata": {"plan": "pro"}})) == \
        (403, "not_admin")
    foreign_aud = tokens.sign(user.claims | {"aud": "other"}, rest.jwt_secret)
    assert code_of(call(rest, "GET", "/user", token=foreign_aud)) == (400, "validation_failed")
    not_uuid = tokens.sign(user.claims | {"sub": "not-a-uuid"}, rest.jwt_secret)
    assert code_of(call(rest, "GET", "/user", token=not_uuid)) == (400, "bad_jwt")
    no_sub = tokens.sign({k: v for k, v in user.claims.items() if k != "sub"}, rest.jwt_secret)
    assert code_of(call(rest, "GET", "/user", token=no_sub)) == (403, "bad_jwt")
    assert code_of(call(rest, "POST", "/logout", json={})) == (401, "no_authorization")


def test_admin_endpoint_codes(rest):
    service = rest.service_key
    assert code_of(call(rest, "GET", "/admin/users/not-a-uuid", token=service)) == (404, "validation_failed")
    assert code_of(call(rest, "GET", f"/admin/users/{uuid.uuid4()}", token=service)) == (404, "user_not_found")
    assert code_of(call(rest, "POST", "/admin/users", token=service,
                        json={"email": email(), "id": "nope"})) == (400, "validation_failed")
    assert code_of(call(rest, "POST", "/admin/users", token=service,
                        json={"email": email(), "password": "a", "password_hash": "b"})) == (400, "validation_failed")
    assert code_of(call(rest, "POST", "/admin/users", token=service,
                        json={"email": email(), "ban_duration": "forever"})) == (400, "validation_failed")
    assert code_of(call(rest, "GET", "/admin/users", token=service, params={"page": "x"})) == (400, "validation_failed")
    user_id = str(uuid.uuid4())
    made = call(rest, "POST", "/admin/users", token=service, json={"email": email(), "id": user_id})
    assert made.status_code == 200 and made.json()["id"] == user_id  # an explicit id, as GoTrue allows
    listing = call(rest, "GET", "/admin/users", token=service, params={"per_page": 1})
    assert listing.status_code == 200 and len(listing.json()["users"]) == 1
    assert int(listing.headers["x-total-count"]) >= 1 and 'rel="last"' in listing.headers["link"]
