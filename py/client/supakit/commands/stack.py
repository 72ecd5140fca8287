"""`supakit up | down | status | token`: the local stack."""

from __future__ import annotations

import typer

from .. import config
from ..migrate import status as migration_status
from ..stack import Stack, user_token
from .common import DATABASE_URL_HELP, database_url, emit_json, project

LABELS = {
    "api_url": "API URL",
    "rest_url": "REST URL",
    "auth_url": "Auth URL",
    "db_url": "DB URL",
    "pooler_url": "Pooler URL",
    "jwt_secret": "JWT secret",
    "anon_key": "anon key",
    "service_role_key": "service_role key",
}


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
    app.command()(status)
    app.command()(token)


def up(
    json_output: bool = typer.Option(False, "--json", help="print the stack's URLs and keys as JSON"),
    api_port: int = typer.Option(None, "--api-port", min=1, max=65535, help="gateway port on first up (default: the project's api-port, 54321)"),
    db_port: int = typer.Option(None, "--db-port", min=1, max=65535, help="Postgres port on first up (default: the project's db-port, 54322)"),
) -> None:
    """Start the local stack (Postgres, PostgREST, gateway), bootstrap and migrate it."""
    stack = Stack(project())
    stack.choose_ports(api_port, db_port)
    result = stack.up()
    if json_output:
        emit_json(stack.info() | {"applied": result.applied, "repeatables": result.repeatables})
        return
    typer.echo(f"supakit local stack is running ({len(result.applied)} migrations and {len(result.repeatables)} repeatables applied).")
    if not stack.strict:
        typer.echo(
            f"note: this stack was made by an older supakit: its `postgres` is a superuser, so a migration "
            f"needing one passes here and fails on Supabase. For Supabase's roles: supakit down, remove "
            f"{stack.cluster_dir}, supakit up (its data is lost; ports and keys stay).", err=True,
        )
    _print_info(stack.info())


def down() -> None:
    """Stop the local stack; its data stays for the next `up`."""
    stack = Stack(project())
    stack.down()
    typer.echo(f"supakit local stack stopped (data kept in {stack.cluster_dir}).")


def status(
    database_url_option: str = typer.Option(None, "--database-url", help=DATABASE_URL_HELP),
    json_output: bool = typer.Option(False, "--json"),
    check: bool = typer.Option(False, "--check", help="exit 1 if anything is pending, changed or drifted"),
) -> None:
    """The local stack's processes, and the migrations of the database."""
    proj = project()
    stack = Stack(proj)
    elsewhere = bool(database_url_option or _env_url())
    # A given database is shown alone: the local stack beside it would only mislead.
    processes = stack.running() if stack.state_file.exists() and not elsewhere else {}
    migrations = None
    jobs: list[dict] | None = None
    if elsewhere or processes.get("postgres"):
        url = database_url(database_url_option, proj)
        migrations = migration_status(url, proj).as_dict()
        jobs = _jobs(url)
    if json_output:
        stack_part = None if elsewhere else processes | ({"info": stack.info()} if processes else {})
        emit_json({"stack": stack_part, "migrations": migrations, "jobs": jobs})
    else:
        _print_status(processes, migrations, stack, elsewhere)
        _print_jobs(jobs)
    if check and (migrations is None or any(migrations[k] for k in ("pending", "drift", "changed_repeatables"))):
        raise typer.Exit(1)


def token(
    email: str = typer.Option(..., "--email", help="the local user's email"),
    create: bool = typer.Option(True, "--create/--no-create", help="create the user when missing"),
    lifetime: int = typer.Option(3600, "--lifetime", help="seconds until the token expires"),
) -> None:
    """Print an access token for a local user, signed with the stack's JWT secret."""
    stack = Stack(project())
    value, created = user_token(database_url(None, stack.project), stack.state.jwt_secret, email, create=create, lifetime=lifetime)
    if created:
        typer.echo(f"created local user {email}", err=True)
    typer.echo(value)


def _jobs(url: str) -> list[dict]:
    """pg_cron's jobs and their last runs ([] where pg_cron is not enabled)."""
    import psycopg

    from ..stack import cron

    with psycopg.connect(url, autocommit=True) as conn:
        return cron.jobs(conn)


def _print_jobs(jobs: list[dict] | None) -> None:
    if jobs is None:
        return
    if not jobs:
        typer.echo("scheduled jobs: none (pg_cron not enabled in this database)")
        return
    typer.echo("scheduled jobs (pg_cron):")
    for job in jobs:
        last = "never run" if job["last_status"] is None else f"last run {job['last_start']}: {job['last_status']}"
        state = "" if job["active"] else " (inactive)"
        typer.echo(f"  {job['jobname'] or job['jobid']}  {job['schedule']}{state}  {last}")


def _env_url() -> bool:
    return bool(config.env("SUPAKIT_DATABASE_URL"))


def _print_info(info: dict[str, str]) -> None:
    width = max(len(label) for label in LABELS.values())
    for key, label in LABELS.items():
        typer.echo(f"{label:>{width}}: {info[key]}")


def _print_status(processes: dict[str, bool], migrations: dict | None, stack: Stack, elsewhere: bool) -> None:
    if elsewhere:
        pass
    elif processes:
        for name, up_now in processes.items():
            typer.echo(f"{name:>9}: {'running' if up_now else 'stopped'}")
        if all(processes.values()):
            _print_info(stack.info())
    else:
        typer.echo("local stack: not created (run `supakit up`)")
    if migrations is None:
        return
    typer.echo(f"applied: {len(migrations['applied'])}  pending: {', '.join(migrations['pending']) or 'none'}")
    typer.echo(f"changed repeatables: {', '.join(migrations['changed_repeatables']) or 'none'}")
    if migrations["drift"]:
        typer.echo(f"DRIFT (applied files edited since): {', '.join(migrations['drift'])}")
    if migrations["missing_files"]:
        typer.echo(f"applied but no file: {', '.join(migrations['missing_files'])}")
