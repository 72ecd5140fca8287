"""The versioned schema (sql/migrations) and the behaviour the database maintains
(sql/functions): columns, constraints, indexes, cascades, profile sync,
updated_at, RLS closed by default, and privileges on trigger functions.

Every test runs on its own clone of the migrated template (`db`), as a superuser
unless it acts as an API caller (`make_user().sql`, `anon.sql`, `service_role.sql`).

One file per concern; the row makers they share are in tests/helpers/schema.py.
"""
