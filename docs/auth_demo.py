"""An app's own login code against the local stack, with nothing but supabase-py.

    python docs/auth_demo.py URL ANON_KEY      (both printed by `supakit up` / `supakit status`)

Signs up, signs in, refreshes the session, reads its own profile through RLS, creates an
organization, signs out, and checks that the old refresh token is dead. It is what
tests/test_stack.py runs against `supakit up`; pointed at a Supabase project's URL and
anon key (with email confirmations off) it does the same there.
"""

from __future__ import annotations

import sys
import uuid

from supabase import ClientOptions, create_client
from supabase_auth.errors import AuthApiError


def journey(url: str, anon_key: str) -> None:
    run = uuid.uuid4().hex[:8]
    email, password = f"journey-{run}@example.test", f"pw-{uuid.uuid4().hex}"
    supabase = create_client(url, anon_key, options=ClientOptions(auto_refresh_token=False))

    signed_up = supabase.auth.sign_up({"email": email, "password": password, "options": {"data": {"name": "Journey"}}})
    assert signed_up.user is not None and signed_up.session is not None, "sign-up gave no session"
    print(f"signed up {email} (user {signed_up.user.id})")
    supabase.auth.sign_out()

    session = supabase.auth.sign_in_with_password({"email": email, "password": password}).session
    assert session is not None
    print("signed in with the password")

    refreshed = supabase.auth.refresh_session().session
    assert refreshed is not None and refreshed.refresh_token != session.refresh_token
    print("refreshed the session (the refresh token rotated)")

    profiles = supabase.table("profiles").select("id, email, name").execute().data
    assert profiles == [{"id": session.user.id, "email": email, "name": "Journey"}], profiles
    print(f"read its own profile through RLS: {profiles[0]}")

    org = supabase.rpc("create_organization", {"name": "Journey Inc", "slug": f"journey-{run}"}).execute().data
    assert org["slug"] == f"journey-{run}", org
    mine = supabase.table("organizations").select("slug").execute().data
    assert mine == [{"slug": f"journey-{run}"}], mine
    print(f"created organization {org['slug']}")

    supabase.auth.sign_out()
    assert supabase.auth.get_session() is None
    try:
        create_client(url, anon_key).auth.refresh_session(refreshed.refresh_token)
    except AuthApiError as error:
        assert error.code == "refresh_token_not_found", error.code
        print(f"signed out: refreshing again fails ({error.code})")
    else:
        raise AssertionError("a refresh token still worked after sign-out")
    print("auth journey: ok")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    journey(sys.argv[1], sys.argv[2])
