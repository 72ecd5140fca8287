"""What would block sharding the schema by `organization_id` with Citus (docs/scaling.md).

Off by default: a team asks for it (`supakit doctor --check distribution-blockers`)
when one Postgres is no longer enough. The tables that carry `organization_id`
would be distributed by it; a table they reference without carrying it (profiles,
organizations) would be a reference table, copied to every node. Citus then
requires, and this check lists where the schema does not yet have it:

- every primary key and unique constraint or index of a distributed table includes
  `organization_id` (a shard can only check uniqueness among its own rows);
- a foreign key between two distributed tables includes `organization_id` on both
  sides (so both rows live on one shard);
- `organization_id` is `not null` (a row without a tenant has no shard to share);
- no reference or local table has a foreign key to a distributed one.
"""

from __future__ import annotations

from collections.abc import Iterator

from .checks import Context, Issue, Level, check

DISTRIBUTION_COLUMN = "organization_id"

TENANT_TABLES = """
select c.oid, c.oid::regclass::text as name, not a.attnotnull as nullable
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = %(column)s and not a.attisdropped
where c.relkind in ('r', 'p') and not (n.nspname = any(%(managed)s))
order by 2
"""

UNIQUES = """
select i.indrelid::regclass::text as table_name, ic.relname as name,
       coalesce(con.contype::text, 'u') as kind,
       array(select a.attname::text from unnest(i.indkey) with ordinality as k(attnum, n)
             join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
             order by k.n) as columns
from pg_catalog.pg_index i
join pg_catalog.pg_class ic on ic.oid = i.indexrelid
left join pg_catalog.pg_constraint con on con.conindid = i.indexrelid and con.contype in ('p', 'u')
where i.indisunique and i.indrelid = any(%(tenants)s::oid[])
order by 1, 2
"""

FOREIGN_KEYS = """
select c.conname as name, c.conrelid::regclass::text as from_table, c.confrelid::regclass::text as to_table,
       c.conrelid = any(%(tenants)s::oid[]) as from_tenant, c.confrelid = any(%(tenants)s::oid[]) as to_tenant,
       array(select a.attname::text from unnest(c.conkey) k(attnum)
             join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum) as columns,
       array(select a.attname::text from unnest(c.confkey) k(attnum)
             join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum) as ref_columns
from pg_catalog.pg_constraint c
join pg_catalog.pg_namespace n on n.oid = (select relnamespace from pg_catalog.pg_class where oid = c.conrelid)
where c.contype = 'f' and c.confrelid = any(%(tenants)s::oid[]) and not (n.nspname = any(%(managed)s))
order by 2, 1
"""


@check(
    "distribution-blockers", Level.INFO, "scaling",
    "what blocks distributing the schema by organization_id (Citus); off by default",
    why="Sharded by organization_id, each tenant's rows live on one node: Citus can only enforce "
        "a unique constraint or a foreign key between sharded tables when it includes the "
        "distribution column, and a row whose organization_id is null belongs to no tenant.",
    fix="Include organization_id: `primary key (organization_id, id)`, unique constraints over "
        "(organization_id, ...), composite foreign keys `(organization_id, x_id) references "
        "t (organization_id, id)`; make organization_id not null (docs/scaling.md, per table).",
    bad="create table public.doctor_notes (id uuid primary key,\n"
        "  organization_id uuid not null references public.organizations (id));\n"
        "alter table public.doctor_notes enable row level security;",
    good="alter table public.doctor_notes drop constraint doctor_notes_pkey,\n"
         "  add primary key (organization_id, id);",
    default=False,
)
def distribution_blockers(ctx: Context) -> Iterator[Issue]:
    tenants = ctx.rows(TENANT_TABLES, column=DISTRIBUTION_COLUMN)
    oids = [t["oid"] for t in tenants]
    for table in tenants:
        if table["nullable"]:
            yield Issue(table["name"], f"{DISTRIBUTION_COLUMN} is nullable: a row without a tenant has no shard")
    for unique in ctx.rows(UNIQUES, tenants=oids):
        if DISTRIBUTION_COLUMN not in unique["columns"]:
            what = {"p": "primary key", "u": "unique constraint"}.get(unique["kind"], "unique index")
            columns = ", ".join(unique["columns"]) or "an expression"
            yield Issue(unique["table_name"], f"{what} {unique['name']} ({columns}) does not include {DISTRIBUTION_COLUMN}")
    for fk in ctx.rows(FOREIGN_KEYS, tenants=oids):
        if not fk["from_tenant"]:
            yield Issue(fk["from_table"], f"foreign key {fk['name']} points from a table without {DISTRIBUTION_COLUMN} "
                                          f"(a reference or local table) into the distributed {fk['to_table']}")
        elif DISTRIBUTION_COLUMN not in fk["columns"] or DISTRIBUTION_COLUMN not in fk["ref_columns"]:
            yield Issue(fk["from_table"], f"foreign key {fk['name']} ({', '.join(fk['columns'])}) to {fk['to_table']} "
                                          f"does not include {DISTRIBUTION_COLUMN} on both sides")
