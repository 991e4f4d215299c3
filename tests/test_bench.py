"""The benches in bench/ run, in their quickest mode on one sector file, so they cannot rot.

No figure is checked (timing belongs to the benches, not to the tests): only that each script
runs to the end, prints its rows, and that its floor writes as many cells as the project does.
"""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
QUICK = ["--sizes", "10", "--ripetizioni", "1", "--senza-riscaldamento"]


def run(script: str, *args: str, work: Path) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *QUICK, "--cartella", str(work), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("bench")


def test_generate_floor_writes_the_same_cells(work):
    out = run("generate.py", work=work)
    assert "schede generate, 1 processo" in out and "minimo: XlsxWriter, stesse celle" in out
    counts = out.split("celle <c> scritte: progetto ")[1].split("\n")[0]
    project, floor = counts.split(", minimo ")
    assert project == floor and int(project.replace(".", "")) > 0
    assert "generate(), 1 processo" in out


def test_import_against_the_three_readers(work):
    out = run("import.py", "--varianti", "xlsx", work=work)
    for row in ("schede import, 1 processo", "minimo: lxml fromstring di ogni foglio",
                "metro: python-calamine, ogni valore", "metro: openpyxl read_only, ogni valore",
                "import_returns(), 1 processo"):
        assert row in out
    assert "importate 10 schede, 60 valori RAGGIUNTO letti, 0 file illeggibili" in out


def test_consolidate_floor_writes_the_summary_cells(work):
    out = run("consolidate.py", work=work)
    assert "schede consolidate, 1 processo" in out and "consolidate(), 1 processo" in out
    project, floor = out.split("celle <c>: progetto ")[1].split("\n")[0].split(", minimo ")
    assert project == floor


def test_validate_and_help(work):
    out = run("validate.py", work=work)
    for row in ("schede --help", "minimo: python -c pass", "schede validate", "load_plan(): YAML, modello, controlli"):
        assert row in out


def test_a_size_that_is_not_sectors_of_ten_is_refused(work):
    done = subprocess.run([sys.executable, str(BENCH / "validate.py"), "--sizes", "15", "--cartella", str(work)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "multiplo di 10" in done.stderr and "Traceback" not in done.stderr
