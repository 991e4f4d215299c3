"""Shared pytest fixtures.

``libreoffice`` (session scope) yields a running :class:`tests.libreoffice.LibreOffice`
(one headless soffice for the whole test session).  When LibreOffice cannot be
driven (no ``soffice``, or no ``/usr/bin/python3`` with ``uno``) the tests that
use it are skipped with the reason, except under CI (environment variable
``CI`` set), where they fail: CI must have LibreOffice installed.

Tests using the fixture get the ``libreoffice`` marker automatically, so
``pytest -m "not libreoffice"`` leaves them out.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# ``tests`` has no __init__.py; make ``from tests.libreoffice import ...`` work
# however pytest was started (``pytest`` or ``python -m pytest``, any cwd).
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.libreoffice import LibreOffice, lo_unavailable_reason  # noqa: E402


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "libreoffice" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.libreoffice)


@pytest.fixture(scope="session")
def libreoffice():
    """A headless LibreOffice shared by the whole session.

    Close the documents you open (``with libreoffice.open(path) as doc:``).
    """
    reason = lo_unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"LibreOffice is required in CI but unavailable: {reason}", pytrace=False)
        pytest.skip(f"LibreOffice unavailable: {reason}")
    with LibreOffice() as lo:
        yield lo


@pytest.fixture(scope="session")
def small_plan():
    """The small inline plan of tests/plans.py: three sectors, every target kind."""
    from schede_excel.plan.parse import parse_plan
    from tests.plans import as_yaml, small_plan_data

    result = parse_plan(as_yaml(small_plan_data()))
    assert result.ok, [str(f) for f in result.findings]
    return result.plan


@pytest.fixture(scope="session")
def caluso_plan():
    """The bundled Caluso 2023 plan."""
    from schede_excel.plan.load import load_plan

    result = load_plan(Path(_ROOT) / "schede" / "caluso-2023.yaml")
    assert result.ok, [str(f) for f in result.findings]
    return result.plan



@pytest.fixture(scope="session")
def libreoffice_return(libreoffice, tmp_path_factory):
    """(plan, bytes, what the import must read) of a corpus return filled in and saved by LibreOffice as .ods.

    Converted once for the session (the fuzz test and others share it).
    """
    from tests import hostile

    plan = hostile.corpus_plan()
    folder = tmp_path_factory.mktemp("lo-ritorno")
    filled, expected = hostile.fill(plan, hostile.generated(plan, folder / "gen")["S01"], "S01")
    path = folder / "compilata.xlsx"
    path.write_bytes(filled)
    with libreoffice.open(path) as doc:
        saved = doc.save_as(folder / "ritorno-S01.ods")
    return plan, saved.read_bytes(), expected
