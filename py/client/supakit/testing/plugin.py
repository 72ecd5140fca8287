"""pytest plugin (entry point `pytest11`): Supabase-shaped Postgres for every test.

Inert until used: a run whose tests request no supakit fixture never looks for a
project or starts a server. Where Postgres runs comes from the project's settings
(`test-backend`, `test-image` in [tool.supakit]; `SUPAKIT_TEST_BACKEND`,
`SUPAKIT_TEST_IMAGE`; `--supakit-backend`): `container` (testcontainers), `local`
(initdb + pg_ctl), `url` (`SUPAKIT_TEST_DATABASE_URL`), or `auto`, decided up front
so the header names it. The session migrates one template database; each test asking
for `db` gets its own clone. REST fixtures share one database per session, because
PostgREST serves one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ..config import BACKENDS
from ..errors import SupakitError
from ..project import Project, find_project
from ..providers import BackendPlan, plan_backend, start_server
from ..providers.base import PostgresServer
from . import databases
from .actors import Actor, ActorFactory
from .clone_pool import ClonePool


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("supakit")
    group.addoption(
        "--supakit-backend",
        choices=BACKENDS,
        default=None,
        help="where test Postgres runs: auto, container, local or url (default: test-backend in "
        "[tool.supakit], env SUPAKIT_TEST_BACKEND, else auto)",
    )


_PROJECT = pytest.StashKey["Project | SupakitError"]()
_PLAN = pytest.StashKey[BackendPlan]()


def _project(config: pytest.Config) -> Project:
    """The project whose settings and SQL the fixtures use, found once per run."""
    if _PROJECT not in config.stash:
        try:
            config.stash[_PROJECT] = find_project(config.rootpath)
        except SupakitError as exc:
            config.stash[_PROJECT] = exc
    found = config.stash[_PROJECT]
    if isinstance(found, SupakitError):
        raise found
    return found


def backend_plan(config: pytest.Config) -> BackendPlan:
    """The flag, else the project's settings (file, then environment): one place."""
    if _PLAN not in config.stash:
        project = _project(config)
        settings = project.settings.override(test_backend=config.getoption("--supakit-backend"))
        config.stash[_PLAN] = plan_backend(settings.test_backend, settings.test_image)
    return config.stash[_PLAN]


def pytest_report_header(config: pytest.Config) -> str | None:
    try:
        return backend_plan(config).header()
    except SupakitError:
        return None  # no supakit project here: nothing to say until a fixture is used


class Session:
    """What the whole test session shares: one server, one secret, one template
    (and, when pgTAP files run, one template with pgTAP)."""

    def __init__(self, server: PostgresServer, project: Project):
        self.server = server
        self.project = project
        self.jwt_secret = secrets.token_urlsafe(32)
        self.authenticator_password = secrets.token_urlsafe(16)
        self._template: str | SupakitError | None = None
        self._pgtap_template: str | None = None
        self._clones: ClonePool | None = None
        self.owned: list[str] = []

    @property
    def template(self) -> str:
        """Made once; a failure (a broken migration) is kept and raised to every test that asks."""
        if self._template is None:
            try:
                self._template = databases.create_template(self.server, self.project, self.authenticator_password)
            except SupakitError as exc:
                self._template = exc
        if isinstance(self._template, SupakitError):
            raise self._template
        return self._template

    @property
    def pgtap_template(self) -> str:
        if self._pgtap_template is None:
            from .pgtap import create_pgtap_template

            self._pgtap_template = create_pgtap_template(self.server, self.template)
        return self._pgtap_template

    @property
    def clones(self) -> ClonePool:
        """Per-test databases, cloned and connected ahead in the background."""
        if self._clones is None:
            self._clones = ClonePool(self.server, self.template)
        return self._clones

    def close(self) -> None:
        if self._clones is not None:
            self._clones.close()
        for name in self.owned:
            databases.drop(self.server, name)
        for template in (self._pgtap_template, self._template):
            if isinstance(template, str):
                databases.drop(self.server, template, template=True)
        self.server.stop()


_SESSION = pytest.StashKey["Session | SupakitError"]()


def open_session(config: pytest.Config) -> Session:
    """The run's session, started on first use by a fixture or a pgTAP file; closed at
    the end of the run. A backend that cannot start is one error, kept and re-raised."""
    if _SESSION not in config.stash:
        try:
            project = _project(config)
            config.stash[_SESSION] = Session(start_server(backend_plan(config)), project)
        except SupakitError as exc:
            config.stash[_SESSION] = exc
    found = config.stash[_SESSION]
    if isinstance(found, SupakitError):
        raise found
    return found


def pytest_unconfigure(config: pytest.Config) -> None:
    found = config.stash.get(_SESSION, None)
    if isinstance(found, Session):
        found.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """pgTAP files under the project's `sql-tests` directories are tests."""
    if file_path.suffix != ".sql":
        return None
    try:
        project = _project(parent.config)
    except SupakitError:
        return None
    if not project.is_sql_test(file_path):
        return None
    from .pgtap_items import PgTapFile

    return PgTapFile.from_parent(parent, path=file_path)


def _fail_session(exc: SupakitError) -> None:
    """The test that needed supakit errors with one line; tests that did not still run."""
    pytest.fail(f"supakit: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def supakit_session(pytestconfig: pytest.Config) -> Session:
    try:
        return open_session(pytestconfig)
    except SupakitError as exc:
        _fail_session(exc)


@pytest.fixture(scope="session")
def supakit_server(supakit_session: Session) -> PostgresServer:
    """The session's Postgres server (superuser access)."""
    return supakit_session.server


@pytest.fixture(scope="session")
def supakit_template(supakit_session: Session) -> str:
    """Name of the migrated template database."""
    try:
        return supakit_session.template
    except SupakitError as exc:
        _fail_session(exc)


@pytest.fixture
def database(supakit_session: Session, supakit_template: str) -> Iterator[str]:
    """Name of a fresh database cloned from the template, dropped after the test (both
    off the test's time: cloned ahead, dropped behind)."""
    name = supakit_session.clones.take()
    yield name
    supakit_session.clones.give_back(name)


@pytest.fixture
def db(supakit_session: Session, database: str) -> Iterator[psycopg.Connection]:
    """A superuser connection (autocommit) to this test's own migrated database
    (opened ahead, with the clone)."""
    with supakit_session.clones.connect(database) as conn:
        yield conn


@pytest.fixture(scope="session")
def rest_database(supakit_session: Session, supakit_template: str) -> str:
    """The one migrated database PostgREST serves for the whole session."""
    name = databases.clone(supakit_session.server, supakit_template, prefix="supakit_rest")
    supakit_session.owned.append(name)
    return name


@pytest.fixture
def rest_db(supakit_server: PostgresServer, rest_database: str) -> Iterator[psycopg.Connection]:
    """A superuser connection (autocommit) to the database PostgREST serves."""
    with supakit_server.connect(rest_database, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def rest(supakit_session: Session, rest_database: str, tmp_path_factory: pytest.TempPathFactory):
    """A real PostgREST behind the gateway: `.url` (for supabase-py), `.anon_key`, `.service_key`."""
    from ..stack.rest import start_rest

    try:
        endpoint = start_rest(
            supakit_session.server,
            rest_database,
            jwt_secret=supakit_session.jwt_secret,
            authenticator_password=supakit_session.authenticator_password,
            state_dir=Path(tmp_path_factory.mktemp("supakit-rest")),
        )
    except SupakitError as exc:
        _fail_session(exc)
    yield endpoint
    endpoint.stop()


@pytest.fixture
def actors(request: pytest.FixtureRequest, supakit_session: Session) -> Iterator[ActorFactory]:
    """Creates callers in the test's database: the REST one when the test uses `rest`."""
    if "rest" in request.fixturenames:
        dbname, rest = request.getfixturevalue("rest_database"), request.getfixturevalue("rest")
    else:
        dbname, rest = request.getfixturevalue("database"), None
    factory = ActorFactory(
        supakit_session.server, dbname, supakit_session.jwt_secret, supakit_session.authenticator_password, rest
    )
    yield factory
    factory.close()


@pytest.fixture
def make_user(actors: ActorFactory):
    """`make_user(email=None, **user_metadata)` -> a signed-up user with `.id`, `.token`, `.sql`, `.client`."""
    return actors.user


@pytest.fixture
def anon(actors: ActorFactory) -> Actor:
    """The anonymous caller: the anon key as token."""
    return actors.api_role("anon")


@pytest.fixture
def service_role(actors: ActorFactory) -> Actor:
    """The service role (bypasses RLS): the service key as token."""
    return actors.api_role("service_role")
