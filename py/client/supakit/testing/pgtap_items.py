"""The pytest side of pgTAP files: one item per file, its failure shown as TAP's own words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..errors import SupakitError


class PgTapFailed(SupakitError):
    """A pgTAP file whose TAP says it failed."""


class PgTapFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield PgTapItem.from_parent(self, name=self.path.name)


class PgTapItem(pytest.Item):
    def runtest(self) -> None:
        from . import pgtap
        from .plugin import open_session

        session = open_session(self.config)
        report = pgtap.run_file(session.server, session.pgtap_template, self.path)
        self.user_properties.append(("pgtap", f"{report.ran} assertions"))
        if not report.passed:
            raise PgTapFailed(report.explain())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, PgTapFailed):
            return f"{self.path.name}: pgTAP failed\n{excinfo.value}"
        if isinstance(excinfo.value, SupakitError):
            return f"supakit: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"pgtap: {self.name}"
