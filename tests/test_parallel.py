"""Work spread over processes gives what one process gives: the same workbooks byte for byte, the
same import, progress for every file, and one file that kills its worker is that file's finding."""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from schede_excel import parallel
from schede_excel.cli.main import cli
from schede_excel.findings import SchedeError
from schede_excel.parallel import WorkerCrashed, run_tasks
from schede_excel.returns import importer
from schede_excel.returns.importer import import_returns
from schede_excel.sheet import generate as generating
from schede_excel.sheet.generate import generate, planned_workbooks

ROOT = Path(__file__).resolve().parent.parent
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the crash tests patch the reader in forked workers")


def _square(context, item):
    return context * item * item


def _fail_on_three(context, item):
    if item == 3:
        raise ValueError(f"elemento {item}")
    return item


def _die_on(context, item):
    if item in context:
        os._exit(9)  # as the kernel's OOM killer or a crash in a C library would end it
    return item * 10


def test_results_come_in_the_order_of_the_items_and_progress_is_told_for_each():
    seen = []
    items = list(range(40))
    order = list(reversed(items))  # started largest first, say
    assert run_tasks(_square, items, 2, processes=2, progress=seen.append, order=order) == [2 * i * i for i in items]
    assert sorted(seen) == items


def _frozen(context, item):
    import gc

    return gc.get_freeze_count() > 0


@needs_fork
def test_the_workers_start_with_the_inherited_objects_frozen_and_the_caller_gets_its_collector_back():
    import gc

    assert gc.get_freeze_count() == 0
    if parallel._start_method().get_start_method() == "fork":
        assert run_tasks(_frozen, [1, 2, 3], None, processes=2) == [True, True, True]
    assert gc.get_freeze_count() == 0
    with pytest.raises(ValueError):
        run_tasks(_fail_on_three, [1, 2, 3, 4], None, processes=2)
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a caller's own freeze (a server before it forks) is left as it was
    try:
        frozen = gc.get_freeze_count()
        run_tasks(_square, [1, 2, 3], 1, processes=2)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_one_process_gives_the_same_without_a_pool():
    seen = []
    assert run_tasks(_square, [1, 2, 3], 1, processes=1, progress=seen.append) == [1, 4, 9]
    assert seen == [1, 2, 3]


def test_an_error_of_the_task_is_raised_as_in_one_process():
    with pytest.raises(ValueError, match="elemento 3"):
        run_tasks(_fail_on_three, list(range(8)), None, processes=2)


def test_an_item_that_kills_its_worker_gets_its_own_outcome_and_the_others_theirs():
    seen = []
    outcomes = run_tasks(_die_on, list(range(12)), {4, 9}, processes=2, progress=seen.append,
                         on_crash=lambda item, reason: f"perso {item}: {reason}")
    assert outcomes[4].startswith("perso 4: il processo che lo elaborava si è interrotto")
    assert outcomes[9].startswith("perso 9:")
    assert [o for i, o in enumerate(outcomes) if i not in (4, 9)] == [i * 10 for i in range(12) if i not in (4, 9)]
    assert sorted(seen) == list(range(12))


def test_without_a_crash_handler_the_item_is_named():
    with pytest.raises(WorkerCrashed) as raised:
        run_tasks(_die_on, [1, 2, 3], {2}, processes=2)
    assert raised.value.item == 2


def test_pool_size_follows_the_work(monkeypatch):
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    assert parallel.pool_size(None, 50, enough=True) == 2
    assert parallel.pool_size(None, 50, enough=False) == 1
    assert parallel.pool_size(4, 3) == 3  # never more workers than files
    assert parallel.pool_size(1, 50) == 1


# The library and the CLI on real workbooks.

def _ciclo():
    spec = importlib.util.spec_from_file_location("ciclo_caluso", ROOT / "examples" / "ciclo_caluso.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def caluso_returns(caluso_plan, tmp_path_factory):
    """Caluso's sector workbooks filled in as the example does, one of them damaged."""
    out = tmp_path_factory.mktemp("caluso")
    generate(caluso_plan, out / "vuote", annex=False)
    folder = out / "ritorni"
    folder.mkdir()
    rng = random.Random(7)
    ciclo = _ciclo()
    for book in planned_workbooks(caluso_plan, annex=False):
        ciclo.fill(out / "vuote" / book.filename, caluso_plan, book, rng, folder / book.filename)
    (folder / "rovinato.xlsx").write_bytes((folder / book.filename).read_bytes()[:5000])
    return folder


def test_import_in_a_pool_equals_one_process(caluso_plan, caluso_returns):
    seen = []
    one = import_returns(caluso_plan, [caluso_returns], processes=1)
    two = import_returns(caluso_plan, [caluso_returns], processes=2, progress=seen.append)
    assert two == one
    assert two.to_json() == one.to_json()
    assert len(seen) == len(one.files) == 8
    assert [f.code for f in one.findings if f.file.endswith("rovinato.xlsx")] == ["READ_002"]


@needs_fork
def test_a_return_that_kills_its_reader_is_reported_and_the_others_are_read(caluso_plan, caluso_returns, monkeypatch):
    read = importer.read_return

    def dies_on_fin(plan, data, name, **kwargs):
        if name.endswith("-FIN.xlsx"):
            os._exit(9)
        return read(plan, data, name, **kwargs)

    monkeypatch.setattr(importer, "read_return", dies_on_fin)
    monkeypatch.setattr(parallel, "_start_method", lambda: multiprocessing.get_context("fork"))
    result = import_returns(caluso_plan, [caluso_returns], processes=2)
    fin = [f for f in result.files if f.path.endswith("-FIN.xlsx")]
    assert len(fin) == 1 and not fin[0].readable
    assert [f.code for f in result.findings_for(fin[0].path)] == ["READ_002"]
    assert "si è interrotto" in str(result.findings_for(fin[0].path)[0])
    assert {r.sector for r in result.objectives} >= {"AMM", "TEC", "PM"}


@pytest.mark.parametrize("options", [{}, {"round_": "final"}, {"password": "segreta"}], ids=["intermedia", "finale", "password"])
def test_generate_in_a_pool_writes_the_same_bytes(caluso_plan, tmp_path, options):
    seen = []
    one = generate(caluso_plan, tmp_path / "uno", processes=1, **options)
    two = generate(caluso_plan, tmp_path / "due", processes=2, progress=seen.append, **options)
    assert [(w.path.name, w.status, w.sheets) for w in one] == [(w.path.name, w.status, w.sheets) for w in two]
    for written in one:
        assert (tmp_path / "due" / written.path.name).read_bytes() == written.path.read_bytes(), written.path.name
    assert sorted(b.filename for b in seen) == sorted(w.path.name for w in one)
    assert sorted(p.name for p in (tmp_path / "due").iterdir()) == sorted(w.path.name for w in one)  # no temporary file left


def test_a_conflict_moves_nothing_into_place_and_leaves_no_temporary_file(caluso_plan, tmp_path):
    out = tmp_path / "out"
    generate(caluso_plan, out, processes=2)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    filled = next(p for p in out.iterdir() if p.name.endswith("-FIN.xlsx"))
    filled.write_bytes(b"compilato a mano")
    with pytest.raises(SchedeError) as raised:
        generate(caluso_plan, out, processes=2)
    assert [f.code for f in raised.value.findings] == ["GEN_001"]
    assert filled.read_bytes() == b"compilato a mano"
    assert {p.name for p in out.iterdir()} == set(before)
    assert all(out.joinpath(name).read_bytes() == data for name, data in before.items() if name != filled.name)


def test_a_failure_while_building_leaves_the_folder_as_it_was(caluso_plan, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "altro.txt").write_text("di qualcun altro")
    build = generating.build_pages

    def fails_on_the_annex(plan, pages, **kwargs):
        if kwargs.get("sector") is None:
            raise MemoryError("memoria esaurita")
        return build(plan, pages, **kwargs)

    monkeypatch.setattr(generating, "build_pages", fails_on_the_annex)
    with pytest.raises(MemoryError):
        generate(caluso_plan, out, processes=1)
    assert [p.name for p in out.iterdir()] == ["altro.txt"]


def test_cli_processes_option(tmp_path):
    runner = CliRunner()
    plan = str(ROOT / "schede" / "caluso-2023.yaml")
    one = runner.invoke(cli, ["generate", plan, "-o", str(tmp_path / "uno"), "--processi", "1"])
    two = runner.invoke(cli, ["generate", plan, "-o", str(tmp_path / "due"), "--processi", "2"])
    assert one.exit_code == two.exit_code == 0, two.output
    for path in (tmp_path / "uno").iterdir():
        assert (tmp_path / "due" / path.name).read_bytes() == path.read_bytes(), path.name
    again = runner.invoke(cli, ["generate", plan, "-o", str(tmp_path / "due"), "--processi", "2"])
    assert again.exit_code == 0 and "aggiornato" not in again.output and "già presente" not in again.output
    zero = runner.invoke(cli, ["import", plan, str(tmp_path / "uno"), "--processi", "0"])
    assert zero.exit_code == 2
    assert "--processi" in zero.output and "Traceback" not in zero.output
    shutil.rmtree(tmp_path / "due")
