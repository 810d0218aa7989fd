"""The layers are held by a tool: `lint-imports` (import-linter, contracts in pyproject.toml),
run by `make lint`. It passes on the tree, and fails when a violating import is planted in a
copy of it: a store module importing the bot, a bot module importing SQLAlchemy, a prompt
importing a service, retrieval reading ORM rows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("c360", "bot", "store", "retrieval", "connectors", "prompts")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """Run the contracts of ``tree``'s pyproject.toml over the packages in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the copy, not the installed tree
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    """The project's packages (Python files only) and pyproject.toml, copied."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda _dir, names: [
                n for n in names if n == "__pycache__" or ("." in n and not n.endswith(".py"))
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("where", "planted", "contract"),
    [
        (
            "store/_planted.py",
            "import bot.answering\n",
            "connectors, store and retrieval never import the services",
        ),
        (
            "retrieval/_planted.py",
            "from c360.brief import service\n",
            "connectors, store and retrieval never import the services",
        ),
        (
            "bot/_planted.py",
            "import sqlalchemy\n",
            "bot never imports store, retrieval, SQLAlchemy or Chroma",
        ),
        (
            "bot/_planted.py",
            "from store import queries\n",
            "bot never imports store, retrieval, SQLAlchemy or Chroma",
        ),
        ("prompts/_planted.py", "import c360.domain\n", "prompts is a leaf"),
        ("c360/domain.py", "from c360.services import moments\n", "the shared low layer"),
        ("c360/brief/sections.py", "from c360.brief import answer\n", "the brief's rooms import"),
        ("c360/brief/result.py", "import c360.brief.service\n", "the brief's rooms import"),
        (
            "c360/services/evaluation/runner.py",
            "from store.models import CustomerRow\n",
            "the brief and the evaluation query no ORM rows",
        ),
        (
            "retrieval/describe.py",
            "from store.models import ComplaintRow\n",
            "retrieval reads no ORM rows and opens no sessions",
        ),
        (
            "retrieval/_planted.py",
            "from store.db import session_factory\n",
            "retrieval reads no ORM rows and opens no sessions",
        ),
    ],
)
def test_a_planted_violating_import_fails_the_lint(tree_copy, where, planted, contract):
    module = tree_copy / where
    module.write_text((module.read_text() if module.exists() else "") + "\n" + planted)
    result = lint_imports(tree_copy)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert broken, result.stdout
    assert contract in " ".join(result.stdout.split()), result.stdout
