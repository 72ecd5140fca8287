"""Pydantic models from a live, migrated schema: what `supakit gen models` writes.

Reads pg_catalog (not the SQL files), so the models are whatever the database
actually has after migrations, functions and policies: one model per table, view
and set-returning function's `returns table (...)` row of the exposed schema, and
a `StrEnum` per enum. The output is a pure function of the catalog (sorted, no
timestamps), so a drift test can compare it with the committed
`supakit/client/models.py` byte for byte.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

MODELS_PATH = Path(__file__).with_name("models.py")

# pg_type.typname -> Python annotation. Anything else becomes `Any`.
SCALARS: dict[str, str] = {
    "uuid": "UUID",
    "text": "str", "varchar": "str", "bpchar": "str", "name": "str", "citext": "str",
    "inet": "str", "cidr": "str", "bytea": "str", "interval": "str", "tsvector": "str",
    "int2": "int", "int4": "int", "int8": "int",
    "float4": "float", "float8": "float", "numeric": "Decimal",
    "bool": "bool",
    "timestamptz": "datetime", "timestamp": "datetime", "date": "date", "time": "time", "timetz": "time",
    "json": "Any", "jsonb": "Any",
}
# Annotation -> (module, name) to import it from.
IMPORTS = {
    "UUID": ("uuid", "UUID"),
    "Decimal": ("decimal", "Decimal"),
    "datetime": ("datetime", "datetime"),
    "date": ("datetime", "date"),
    "time": ("datetime", "time"),
    "Any": ("typing", "Any"),
}
# Attributes of pydantic.BaseModel a column must not shadow (and its `model_` namespace).
RESERVED = {"copy", "dict", "json", "schema", "construct", "validate", "fields", "model_config"}

RELATIONS = """
select c.relname::text, c.relkind::text, a.attname::text, a.atttypid::int, a.attnotnull and c.relkind in ('r', 'p')
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v', 'm')
order by c.relname, a.attnum
"""

# Functions returning `table (...)`: their `t` arguments are the row's columns.
FUNCTION_ROWS = """
select p.proname::text, p.oid::int, x.name::text, x.type::int
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
cross join lateral unnest(p.proargnames, p.proallargtypes::oid[], p.proargmodes::text[])
  with ordinality as x (name, type, mode, position)
where n.nspname = %(schema)s and p.proretset and x.mode = 't'
order by p.proname, p.oid, x.position
"""

TYPES = """
select t.oid::int, t.typname::text, t.typtype::text, t.typelem::int, t.typbasetype::int, tn.nspname::text
from pg_catalog.pg_type t join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
where t.oid = any(%(oids)s)
"""

ENUMS = """
select t.typname::text, e.enumlabel::text
from pg_catalog.pg_type t
join pg_catalog.pg_namespace n on n.oid = t.typnamespace
join pg_catalog.pg_enum e on e.enumtypid = t.oid
where n.nspname = %(schema)s
order by t.typname, e.enumsortorder
"""


@dataclass
class Column:
    name: str
    type_oid: int
    not_null: bool


@dataclass
class Relation:
    name: str
    kind: str  # table, view, function
    columns: list[Column] = field(default_factory=list)


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def singular(name: str) -> str:
    """`audit_logs` -> `audit_log`, `companies` -> `company`: the last word only."""
    head, _, last = name.rpartition("_")
    if last.endswith("ies") and len(last) > 3:
        last = last[:-3] + "y"
    elif re.search(r"(ss|x|ch|sh)es$", last):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head}_{last}" if head else last


def class_name(relation: Relation) -> str:
    if relation.kind == "function":
        return camel(relation.name) + "Row"
    return camel(singular(relation.name))


class _Types:
    """Python annotations for Postgres type oids, enums as their generated classes."""

    def __init__(self, conn: psycopg.Connection, oids: set[int], schema: str):
        self.schema = schema
        self.rows: dict[int, tuple[str, str, int, int, str]] = {}
        self.used: set[str] = set()
        self._load(conn, oids)

    def _load(self, conn: psycopg.Connection, oids: set[int]) -> None:
        pending = set(oids)
        while pending:
            found = conn.execute(TYPES, {"oids": sorted(pending)}).fetchall()
            pending = set()
            for oid, name, kind, elem, base, namespace in found:
                self.rows[oid] = (name, kind, elem, base, namespace)
                pending |= {o for o in (elem, base) if o and o not in self.rows}

    def annotation(self, oid: int) -> str:
        name, kind, elem, base, schema = self.rows.get(oid, ("", "", 0, 0, ""))
        if kind == "e" and schema == self.schema:
            return camel(name)
        if kind == "d" and base:
            return self.annotation(base)
        if elem and name.startswith("_"):
            return f"list[{self.annotation(elem)}]"
        python = SCALARS.get(name, "Any")
        self.used.add(python)
        return python


def read_schema(conn: psycopg.Connection, schema: str = "public") -> tuple[list[Relation], dict[str, list[str]], _Types]:
    relations: dict[tuple[str, str], Relation] = {}
    for relname, relkind, column, type_oid, not_null in conn.execute(RELATIONS, {"schema": schema}):
        kind = "view" if relkind in ("v", "m") else "table"
        relations.setdefault((kind, relname), Relation(relname, kind)).columns.append(Column(column, type_oid, not_null))
    seen: dict[str, int] = {}
    for proname, oid, column, type_oid in conn.execute(FUNCTION_ROWS, {"schema": schema}):
        # An overloaded function keeps the row of its first (lowest oid) definition.
        if seen.setdefault(proname, oid) != oid:
            continue
        relations.setdefault(("function", proname), Relation(proname, "function")).columns.append(
            Column(column, type_oid, False)
        )
    enums: dict[str, list[str]] = {}
    for typname, label in conn.execute(ENUMS, {"schema": schema}):
        enums.setdefault(typname, []).append(label)
    oids = {c.type_oid for r in relations.values() for c in r.columns}
    order = {"table": 0, "view": 1, "function": 2}
    ordered = sorted(relations.values(), key=lambda r: (order[r.kind], r.name))
    return ordered, enums, _Types(conn, oids, schema)


def _member(label: str) -> str:
    name = re.sub(r"\W", "_", label)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"v_{name}"
    return name


def _field(column: Column, annotation: str) -> str:
    name, extra = column.name, ""
    if (not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED or name.startswith("_")
            or name.startswith("model_")):
        safe = re.sub(r"\W", "_", name).lstrip("_") + "_"
        extra, name = f'alias="{column.name}"', safe
    if column.not_null:
        return f"    {name}: {annotation}" + (f" = Field({extra})" if extra else "")
    default = f"Field(default=None, {extra})" if extra else "None"
    optional = annotation if annotation == "Any" else f"{annotation} | None"
    return f"    {name}: {optional} = {default}"


def generate(conn: psycopg.Connection, schema: str = "public") -> str:
    """The text of models.py for `schema` of the database `conn` is connected to."""
    relations, enums, types = read_schema(conn, schema)
    body: list[str] = []
    for typname, labels in enums.items():
        body += ["", "", f"class {camel(typname)}(StrEnum):", f'    """Enum `{schema}.{typname}`."""', ""]
        body += [f'    {_member(label)} = "{label}"' for label in labels]

    names: dict[str, str] = {}
    signatures: dict[tuple, str] = {}
    for relation in relations:
        name = class_name(relation)
        fields = [_field(c, types.annotation(c.type_oid)) for c in relation.columns]
        signature = tuple((c.name, c.type_oid) for c in relation.columns)
        names[relation.name] = name
        if relation.kind == "view" and signature in signatures:
            # `create view ... as select * from <table>`: the same row, the same model.
            body += ["", "", f"{name} = {signatures[signature]}", f'"""View `{schema}.{relation.name}`: rows of {signatures[signature]}."""']
            continue
        if relation.kind == "table":
            signatures.setdefault(signature, name)
        what = {"table": "Table", "view": "View", "function": "Rows of the function"}[relation.kind]
        body += ["", "", f"class {name}(Row):", f'    """{what} `{schema}.{relation.name}`."""', ""]
        body += fields

    body += ["", "", "# Relation (table or view) and function name -> its row model."]
    body.append("ROWS: dict[str, type[Row]] = {")
    body += [f'    "{relation}": {model},' for relation, model in sorted(names.items())]
    body.append("}")

    modules: dict[str, set[str]] = {"enum": {"StrEnum"}}
    for annotation in types.used:
        if annotation in IMPORTS:
            module, name = IMPORTS[annotation]
            modules.setdefault(module, set()).add(name)
    imports = [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(modules.items())]
    header = [
        f'"""Row models of the `{schema}` schema. Generated by `supakit gen models`: do not edit.',
        "",
        "Regenerate after a migration: `supakit gen models` (tests/test_client_models.py",
        "fails while this file and the migrated schema disagree).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *imports,
        "",
        "from pydantic import BaseModel, ConfigDict" + (", Field" if any("Field(" in line for line in body) else ""),
        "",
        "",
        "class Row(BaseModel):",
        '    """A row as the API returns it; columns added later are ignored, not errors."""',
        "",
        '    model_config = ConfigDict(extra="ignore", populate_by_name=True)',
    ]
    return "\n".join(header + body) + "\n"

