"""Functions read the caller (auth.uid()) once per call, never once per row.

auth.uid() parses the JWT claims (`request.jwt.claims` as jsonb) each time it runs. As
a filter (`where m.user_id = auth.uid()`) in a plan that scans, it runs for every row:
under bench/load.py that parsing was the largest cost of a listing (the RLS helper
private.my_org_ids behind every policy). A function compares with a variable read once
(`caller uuid := auth.uid()`) or with `(select auth.uid())`, an InitPlan run once.
"""

from __future__ import annotations

import re

PER_ROW = re.compile(r"(?<![:<>!])(=|<>|!=)\s*auth\.uid\(\)", re.IGNORECASE)


def test_no_function_compares_rows_with_auth_uid_directly(db):
    bodies = db.execute(
        "select p.oid::regprocedure::text, p.prosrc from pg_proc p "
        "where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)").fetchall()
    assert any("auth.uid()" in body for _, body in bodies)  # the rule has something to hold
    offenders = [name for name, body in bodies if PER_ROW.search(body)]
    assert offenders == []


def test_the_pattern_catches_a_per_row_filter():
    assert PER_ROW.search("select 1 from public.organization_members m where m.user_id = auth.uid()")
    assert not PER_ROW.search("where m.user_id = (select auth.uid())")
    assert not PER_ROW.search("caller uuid := auth.uid();")
