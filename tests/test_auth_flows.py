"""`/auth/v1` with other settings: email confirmations on, and no reuse interval for refresh tokens.

A second auth server and gateway on the REST database, started with those settings,
as `supabase start` runs with `enable_confirmations = true` or
`refresh_token_reuse_interval = 0`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from supabase import ClientOptions, create_client

from supakit import tokens
from supakit.stack.rest import start_rest

from helpers.auth import PASSWORD, api_error, client_for, email


@pytest.fixture(scope="module")
def strict(supakit_session, rest_database, tmp_path_factory):
    state = Path(tmp_path_factory.mktemp("supakit-strict"))
    endpoint = start_rest(
        supakit_session.server, rest_database, jwt_secret=supakit_session.jwt_secret,
        authenticator_password=supakit_session.authenticator_password, state_dir=state,
        auth={"email_confirmations": True, "refresh_token_reuse_interval": 0},
    )
    endpoint.log = state / "auth" / "auth.log"
    yield endpoint
    endpoint.stop()


def link_for(endpoint, address: str, what: str = "confirmation link") -> str:
    found = re.findall(rf"{what} for {re.escape(address)}: (\S+)", endpoint.log.read_text())
    assert found, f"no {what} for {address} in the auth log"
    return found[-1]


def test_reused_refresh_token_revokes_the_whole_session(strict):
    app = client_for(strict)
    address = email()
    strict_admin = client_for(strict)
    strict_admin.auth.sign_up({"email": address, "password": PASSWORD})
    confirm(strict, address)
    first = app.auth.sign_in_with_password({"email": address, "password": PASSWORD}).session
    second = app.auth.refresh_session().session
    third = app.auth.refresh_session().session
    # The first token is two rotations old: a thief's copy. GoTrue revokes the family.
    error = api_error(lambda: client_for(strict).auth.refresh_session(first.refresh_token))
    assert (error.status, error.code) == (400, "refresh_token_already_used")
    error = api_error(lambda: client_for(strict).auth.refresh_session(third.refresh_token))
    assert (error.status, error.code) == (400, "refresh_token_already_used")
    assert second.refresh_token != third.refresh_token


def test_a_lost_refresh_answer_is_handed_out_again(rest):
    """The parent of the live token gets that live token back (the client lost the last answer)."""
    app = create_client(rest.url, rest.anon_key, options=ClientOptions(auto_refresh_token=False))
    address = email()
    first = app.auth.sign_up({"email": address, "password": PASSWORD}).session
    second = app.auth.refresh_session().session
    again = create_client(rest.url, rest.anon_key).auth.refresh_session(first.refresh_token).session
    assert again.refresh_token == second.refresh_token
    # Within the reuse interval (10 s, GoTrue's default) an older token still rotates.
    third = app.auth.refresh_session().session
    assert create_client(rest.url, rest.anon_key).auth.refresh_session(first.refresh_token).session
    assert third.refresh_token != second.refresh_token


def confirm(endpoint, address: str) -> httpx.Response:
    response = httpx.get(link_for(endpoint, address), follow_redirects=False)
    assert response.status_code == 303
    return response


def test_email_confirmation_link_in_the_log(strict, rest_db):
    app, address = client_for(strict), email()
    signed_up = app.auth.sign_up({"email": address, "password": PASSWORD,
                                  "options": {"email_redirect_to": "http://app.test/welcome"}})
    assert signed_up.session is None and signed_up.user.email == address
    assert signed_up.user.confirmation_sent_at is not None and signed_up.user.email_confirmed_at is None
    error = api_error(lambda: client_for(strict).auth.sign_in_with_password({"email": address, "password": PASSWORD}))
    assert (error.status, error.code) == (400, "email_not_confirmed")
    assert PASSWORD not in strict.log.read_text()  # passwords are never logged
    redirect = confirm(strict, address).headers["location"]
    assert redirect.startswith("http://app.test/welcome#")
    fragment = parse_qs(urlparse(redirect).fragment)
    claims = tokens.decode(fragment["access_token"][0], strict.jwt_secret)
    assert claims["email"] == address and fragment["type"] == ["signup"]
    assert client_for(strict).auth.sign_in_with_password({"email": address, "password": PASSWORD}).session
    # A used link is spent.
    spent = httpx.get(link_for(strict, address), follow_redirects=False)
    assert "error_code=otp_expired" in spent.headers["location"]
    # A repeated sign-up of a confirmed address looks like a fresh one: addresses cannot be probed.
    again = client_for(strict).auth.sign_up({"email": address, "password": PASSWORD})
    assert again.session is None and again.user.id != signed_up.user.id
    assert rest_db.execute("select count(*) from auth.users where email = %s", (address,)).fetchone()[0] == 1


def test_email_change_needs_the_new_address_confirmed(strict, rest_db):
    app, address, new = client_for(strict), email(), email()
    app.auth.sign_up({"email": address, "password": PASSWORD})
    confirm(strict, address)
    app.auth.sign_in_with_password({"email": address, "password": PASSWORD})
    pending = app.auth.update_user({"email": new}).user
    assert pending.email == address and pending.new_email == new
    response = httpx.get(link_for(strict, new, "email change link"), follow_redirects=False)
    assert response.status_code == 303 and "access_token=" in response.headers["location"]
    assert rest_db.execute("select email from auth.users where id = %s", (pending.id,)).fetchone()[0] == new
    assert rest_db.execute("select email from public.profiles where id = %s", (pending.id,)).fetchone()[0] == new
