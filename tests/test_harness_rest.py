"""The REST side of the harness: real PostgREST behind the gateway, real tokens."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest


def _wait_for_table(rest, table, headers, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(f"{rest.url}/rest/v1/{table}", headers=headers)
        if response.status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"PostgREST never saw {table}: {response.status_code} {response.text}")


def test_gateway_rejects_missing_apikey(rest):
    response = httpx.get(f"{rest.url}/rest/v1/")
    assert response.status_code == 401
    assert "api key" in response.json()["message"].lower()


def test_gateway_rejects_wrong_apikey(rest):
    response = httpx.get(f"{rest.url}/rest/v1/", headers={"apikey": "not-a-key"})
    assert response.status_code == 401


@pytest.mark.parametrize("key", ["anon_key", "service_key"])
def test_gateway_forwards_known_keys(rest, key):
    response = httpx.get(f"{rest.url}/rest/v1/", headers={"apikey": getattr(rest, key)})
    assert response.status_code == 200


def test_rls_sees_same_claims_over_rest_and_sql(rest, rest_db, make_user):
    table = f"owned_{uuid.uuid4().hex[:8]}"
    alice, bob = make_user(), make_user()
    rest_db.execute(f"""
        create table public.{table} (id serial primary key, owner uuid not null);
        alter table public.{table} enable row level security;
        create policy owner_reads on public.{table} for select to authenticated
          using (owner = (select auth.uid()));
    """)
    rest_db.execute(f"insert into public.{table} (owner) values (%s), (%s), (%s)", (alice.id, alice.id, bob.id))
    rest_db.execute("notify pgrst, 'reload schema'")
    _wait_for_table(rest, table, alice.headers)

    over_rest = alice.client.table(table).select("owner").execute().data
    over_sql = alice.sql.execute(f"select owner::text from public.{table}").fetchall()
    assert sorted(r["owner"] for r in over_rest) == sorted(r[0] for r in over_sql) == [alice.id, alice.id]
    assert len(bob.client.table(table).select("*").execute().data) == 1
    rest_db.execute(f"drop table public.{table}")


def test_bad_token_is_rejected(rest):
    response = httpx.get(
        f"{rest.url}/rest/v1/", headers={"apikey": rest.anon_key, "Authorization": "Bearer not.a.jwt"}
    )
    assert response.status_code == 401
