"""The README's two set-up commands are the ones CI runs."""

from __future__ import annotations

import re

import pytest

from helpers import ROOT

pytestmark = pytest.mark.backend_independent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README must open with a bash block of set-up commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "supakit up" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"readme_test_command='{readme_commands()[1]}'" in ci
    assert "for backend in container local" in ci
