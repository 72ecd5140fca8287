"""Where a request came from: the client's address and agent in each entry."""

from __future__ import annotations

import uuid

from helpers.audit import Via, log, only


# --- where a request came from ----------------------------------------------------------


def test_ip_address_falls_back_to_x_real_ip_and_else_is_null(db, make_user):
    via = Via("sql", db, None)
    user = make_user()
    cases = [
        ({"x-forwarded-for": " 198.51.100.4 ,10.0.0.1", "x-real-ip": "10.9.9.9"}, "198.51.100.4"),
        ({"x-real-ip": "192.0.2.55", "user-agent": "probe/1.0"}, "192.0.2.55"),
        ({"x-forwarded-for": "", "x-real-ip": "192.0.2.56"}, "192.0.2.56"),
        ({}, None),
    ]
    for headers, ip in cases:
        via.client_headers = headers
        logged = via.rpc(user, "log_event", action="login")
        stored = only(log(db, id=logged["id"]))
        assert (stored["ip_address"], stored["user_agent"]) == (ip, headers.get("user-agent")), headers


def test_rest_without_forwarded_for_records_the_gateways_peer(rest, rest_db, make_user):
    via = Via("rest", rest_db, rest)
    user = make_user()
    via.client_headers = {"user-agent": "probe/2.0"}
    logged = via.rpc(user, "log_event", action="login")
    assert (logged["ip_address"], logged["user_agent"]) == ("127.0.0.1", "probe/2.0")


def test_supabase_py_client_is_audited(rest, rest_db, make_user):
    user = make_user()
    org = user.client.rpc("create_organization", {"name": "Py", "slug": f"py-{uuid.uuid4().hex[:12]}"}).execute().data
    project = user.client.table("projects").insert({"organization_id": org["id"], "name": "Client"}).execute().data[0]
    user.client.table("projects").update({"name": "Client 2"}).eq("id", project["id"]).execute()
    user.client.rpc("log_event", {"action": "logout", "organization_id": org["id"]}).execute()
    entries = log(rest_db, organization_id=org["id"], entity_type="projects") + log(
        rest_db, organization_id=org["id"], action="logout")
    assert [e["action"] for e in entries] == ["create", "update", "logout"]
    for e in entries:
        assert (e["user_id"], e["ip_address"]) == (user.id, "127.0.0.1")
        assert e["user_agent"]  # whatever supabase-py sends, recorded
