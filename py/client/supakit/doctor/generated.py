"""What the repeatables generated (private.generated_objects, migration 0016) and is no longer there."""

from __future__ import annotations

from collections.abc import Iterator

from .checks import Context, Issue, Level, check


@check(
    "generated-trigger-missing", Level.WARN, "security",
    "a trigger private.enable_audit or enable_soft_delete made, gone from its table",
    why="The generators record each trigger they create in private.generated_objects. One missing "
        "from a table that is still there was dropped by hand: an audit trigger's writes go "
        "unrecorded, a soft-delete trigger's deletes remove rows for good.",
    fix="Run the generator again (`select private.enable_audit('<table>', '<key>', '<organization>');` "
        "or `select private.enable_soft_delete('<table>');`), or `supakit migrate` after "
        "changing its repeatable file.",
    bad="drop trigger audit_update on public.projects;",
    good="select private.enable_audit('public.projects', 'id', 'organization_id');",
)
def generated_trigger_missing(ctx: Context) -> Iterator[Issue]:
    if not ctx.rows("select to_regclass('private.generated_objects') is not null as present")[0]["present"]:
        return
    rows = ctx.rows(
        """
        select g.relation, g.name, g.generated_by
        from private.generated_objects g
        where g.kind = 'trigger' and to_regclass(g.relation) is not null
          and not exists (select 1 from pg_catalog.pg_trigger t
                          where t.tgrelid = to_regclass(g.relation) and t.tgname = g.name)
        order by 1, 2
        """
    )
    for row in rows:
        yield Issue(f"{row['name']} on {row['relation']}", f"was made by {row['generated_by']} and is gone")


@check(
    "audit-writer-stale", Level.INFO, "performance",
    "an audited table's columns changed after its writers were generated",
    why="private.enable_audit generates each table's audit writers from its columns. After a "
        "column is added, dropped, renamed or retyped, the update writer notices and falls back to "
        "the generic jsonb query: every entry is still written, but a bulk update costs about twice "
        "as much and stores whole rows instead of the changed columns. If the key or organization "
        "column was renamed or dropped, the insert and delete writers fall back too. The fallback "
        "finds a renamed key or organization by its column number, so entries keep them; a dropped "
        "organization is null in new entries, and an update of a table whose key was dropped is refused.",
    fix="Run the generator again after changing the table (`select private.enable_audit('<table>', "
        "'<key>', '<organization>');`), in the same migration as the change.",
    bad="alter table public.projects add column doctor_colour text;",
    good="select private.enable_audit('public.projects', 'id', 'organization_id');",
)
def audit_writer_stale(ctx: Context) -> Iterator[Issue]:
    if not ctx.rows("select to_regprocedure('private.audit_shape(regclass)') is not null as present")[0]["present"]:
        return
    rows = ctx.rows(
        """
        select t.tgrelid::regclass::text as relation, p.oid::regproc::text as writer
        from pg_catalog.pg_trigger t join pg_catalog.pg_proc p on p.oid = t.tgfoid
        where t.tgname = 'audit_update' and p.pronamespace = 'private'::regnamespace
          and p.proname ~ '^audit_update__'
          and strpos(p.prosrc, quote_literal(private.audit_shape(t.tgrelid))) = 0
        order by 1
        """
    )
    for row in rows:
        yield Issue(row["relation"], f"{row['writer']} was generated for other columns: it runs the generic query")
