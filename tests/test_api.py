"""The public API: what `from schede_excel import ...` offers, documented, typed and cheap to import."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import schede_excel
from apidoc import PAGE, page

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_all_names_every_exported_name_and_nothing_else():
    assert sorted(schede_excel.__all__) == sorted({"__version__", *schede_excel._HOMES})
    for name in schede_excel.__all__:
        assert getattr(schede_excel, name) is not None


@pytest.mark.parametrize("name", [n for n in schede_excel.__all__ if n != "__version__"])
def test_every_public_name_is_documented_and_typed(name):
    obj = getattr(schede_excel, name)
    assert inspect.getdoc(obj), f"{name} has no docstring"
    if inspect.isfunction(obj):
        signature = inspect.signature(obj)
        untyped = [p for p, v in signature.parameters.items() if v.annotation is inspect.Parameter.empty]
        assert not untyped, f"{name}: parameters without a type: {untyped}"
        assert signature.return_annotation is not inspect.Parameter.empty, f"{name}: no return type"
    for field, info in getattr(obj, "model_fields", {}).items():
        assert info.description, f"{name}.{field} has no description"


def test_every_public_name_is_in_the_readme_or_the_api_page():
    text = README + PAGE.read_text(encoding="utf-8")
    missing = [n for n in schede_excel.__all__ if n != "__version__" and f"`{n}" not in text]
    assert missing == []


def test_the_api_page_is_current():
    assert PAGE.read_text(encoding="utf-8") == page(), "docs/api.md is stale: run python tests/apidoc.py"


def test_help_lists_the_cycle():
    shown = subprocess.run([sys.executable, "-c", "import schede_excel; help(schede_excel)"],
                           capture_output=True, text=True, check=True, env={"PAGER": "cat", "TERM": "dumb"}).stdout
    for step in ("load_plan", "generate", "send", "import_returns", "evaluate", "consolidate"):
        assert step in shown


def test_import_is_cheap_until_a_name_is_used():
    code = ("import sys, schede_excel; heavy = {'pandas', 'openpyxl', 'xlsxwriter', 'lxml', 'pydantic'};"
            "print(sorted(heavy & set(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def _readme_python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_examples_and_readme_pass_mypy_strict(tmp_path):
    blocks = _readme_python_blocks()
    assert blocks, "the README has no Python example"
    for number, block in enumerate(blocks):
        (tmp_path / f"readme_{number}.py").write_text(block, encoding="utf-8")
    files = sorted(str(p) for p in (ROOT / "examples").glob("*.py")) + sorted(str(p) for p in tmp_path.glob("*.py"))
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
                          "--config-file", str(ROOT / "pyproject.toml"), *files],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
