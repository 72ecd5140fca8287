"""Profiles follow auth.users: sign-up, email changes, SSO accounts."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from helpers import one
from helpers.schema import count, new_auth_user, new_org, add_member


# --- profiles follow auth.users ------------------------------------------------------------


def test_signup_creates_a_profile_with_name_from_metadata(db, make_user):
    alice = make_user(email="alice@example.test", name="Alice Liddell")
    row = db.execute(
        "select email, name, avatar_url, role::text from public.profiles where id = %s", (alice.id,)
    ).fetchone()
    assert row == ("alice@example.test", "Alice Liddell", None, "member")


@pytest.mark.parametrize("meta", [{}, {"name": ""}, {"name": "   "}, {"full_name": " "}, {"nickname": "Someone"}])
def test_signup_without_a_name_leaves_it_null(db, meta):
    user = new_auth_user(db, "noname@example.test", **meta)
    assert db.execute("select email, name from public.profiles where id = %s", (user,)).fetchone() == (
        "noname@example.test", None,
    )


def test_profile_email_follows_the_auth_user(db, make_user):
    bob = make_user(email="bob@example.test")
    db.execute("update auth.users set email = 'robert@example.test' where id = %s", (bob.id,))
    assert one(db, "select email from public.profiles where id = %s", (bob.id,)) == "robert@example.test"


def test_other_auth_user_changes_leave_the_profile_alone(db):
    user = new_auth_user(db, "calm@example.test", name="Calm")
    db.execute("update public.profiles set updated_at = now() where id = %s", (user,))
    before = db.execute("select email, name, updated_at from public.profiles where id = %s", (user,)).fetchone()
    db.execute(
        "update auth.users set raw_user_meta_data = '{\"name\": \"Changed\"}', last_sign_in_at = now(), "
        "email = email where id = %s",
        (user,),
    )
    after = db.execute("select email, name, updated_at from public.profiles where id = %s", (user,)).fetchone()
    assert after == before


def test_auth_user_without_email_gets_a_profile_once_it_has_one(db):
    """Phone sign-ups have no email: no profile (email is required and unique) until one is set."""
    first = new_auth_user(db, None, name="Phone One")
    second = new_auth_user(db, None)  # a second one must not collide with the first
    assert count(db, "profiles", "id = any(%s)", ([first, second],)) == 0

    db.execute("update auth.users set email = 'phone@example.test' where id = %s", (first,))
    assert db.execute("select email, name from public.profiles where id = %s", (first,)).fetchone() == (
        "phone@example.test", "Phone One",
    )


def test_clearing_an_auth_email_keeps_the_profile(db):
    user = new_auth_user(db, "keep@example.test")
    add_member(db, new_org(db), user)
    db.execute("update auth.users set email = null where id = %s", (user,))
    assert one(db, "select email from public.profiles where id = %s", (user,)) == "keep@example.test"
    assert count(db, "organization_members", "user_id = %s", (user,)) == 1


def new_sso_user(db, email: str, **meta) -> str:
    """An SSO account as GoTrue writes it: is_sso_user, so its email need not be unique."""
    return str(one(
        db,
        "insert into auth.users (id, aud, role, email, raw_user_meta_data, is_sso_user) "
        "values (gen_random_uuid(), 'authenticated', 'authenticated', %s, %s, true) returning id",
        (email, Jsonb(meta)),
    ))


def test_two_sso_accounts_with_one_email_both_sign_up(db):
    first = new_sso_user(db, "shared@corp.test", name="First")
    second = new_sso_user(db, "shared@corp.test", name="Second")  # GoTrue allows it: must not fail
    rows = dict(db.execute("select id::text, email from public.profiles where id = any(%s)", ([first, second],)).fetchall())
    assert rows == {first: "shared@corp.test", second: None}
    # A password account may share the address with SSO accounts too.
    third = new_auth_user(db, "shared@corp.test")
    assert one(db, "select email from public.profiles where id = %s", (third,)) is None


def test_a_soft_deleted_email_can_sign_up_again(db):
    """GoTrue's soft delete replaces the email with a hash and sets deleted_at."""
    gone = new_auth_user(db, "again@example.test")
    add_member(db, new_org(db), gone)
    db.execute("update auth.users set email = 'b64hash', deleted_at = now() where id = %s", (gone,))
    assert one(db, "select email from public.profiles where id = %s", (gone,)) is None
    back = new_auth_user(db, "again@example.test")
    assert one(db, "select email from public.profiles where id = %s", (back,)) == "again@example.test"


def test_a_cleared_email_moves_to_its_new_owner(db):
    old = new_auth_user(db, "moved@example.test")
    db.execute("update auth.users set email = null where id = %s", (old,))
    new = new_auth_user(db, "moved@example.test")
    assert one(db, "select email from public.profiles where id = %s", (new,)) == "moved@example.test"
    assert one(db, "select email from public.profiles where id = %s", (old,)) is None
    # A replaced email moves the same way.
    other = new_auth_user(db, "first@example.test")
    db.execute("update auth.users set email = 'second@example.test' where id = %s", (other,))
    assert one(db, "select email from public.profiles where id = %s", (other,)) == "second@example.test"
    taker = new_auth_user(db, "first@example.test")
    assert one(db, "select email from public.profiles where id = %s", (taker,)) == "first@example.test"


def test_apple_sign_ins_name_the_profile_from_full_name(db):
    apple = new_auth_user(db, "apple@privaterelay.test", full_name="Tim Apple")
    assert one(db, "select name from public.profiles where id = %s", (apple,)) == "Tim Apple"
    both = new_auth_user(db, "both@example.test", name="Preferred", full_name="Full")
    assert one(db, "select name from public.profiles where id = %s", (both,)) == "Preferred"
