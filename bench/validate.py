"""Benchmark of start-up and plan loading: `schede --help` and `schede validate`, whole process and in-process.

    python bench/validate.py [--sizes 100,1000,5000] [--quick] [--ripetizioni 5] [--cartella DIR]

Prints, in paired rounds (after a warm-up round):

- `schede --help` against a bare `python -c pass` (the interpreter's own start-up);
- for each size, `schede validate PIANO` of bench/corpus.py's plan file (N objectives in sectors
  of 10, valid: nothing to report) against the floor's whole process, a Python that loads the
  same YAML with PyYAML's C loader (bench/floors.py);

and, each in a fresh process, the in-process part: `load_plan()` (YAML, model and checks) against
PyYAML's C loader on the same text. Targets of issue 15, at 1,000 sheets: `schede --help`
under 0.35 s, `schede validate` under 1 s.
"""

from __future__ import annotations

import sys
from argparse import SUPPRESS
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import timing  # noqa: E402
from corpus import corpus  # noqa: E402
from report import Table, italian, options, sizes_of  # noqa: E402

FLOORS = str(BENCH / "floors.py")
HELP_TARGET_S = 0.35
VALIDATE_TARGET_S = 1.0  # at 1,000 sheets


def measure_project(plan_file: str, times: int) -> dict:
    """In a fresh process: `load_plan()` of the plan file, the imports done before."""
    from schede_excel.plan.load import load_plan

    def work():
        assert load_plan(plan_file).plan is not None

    return timing.repeat(work, times)


def main() -> None:
    parser = options(__doc__, repeats=5)
    parser.add_argument("--misura", nargs=2, help=SUPPRESS)
    args = parser.parse_args()
    if args.misura:
        import json

        print(json.dumps(measure_project(args.misura[0], int(args.misura[1]))))
        return
    sizes = sizes_of(args)
    table = Table("Avvio e lettura del piano")
    runs = timing.rounds({"help": [*timing.schede(), "--help"], "python": [sys.executable, "-c", "pass"]},
                         args.ripetizioni, "python")
    table.section("Avvio: schede --help")
    table.whole("schede --help", runs["help"], seconds_target=HELP_TARGET_S)
    table.whole("minimo: python -c pass", runs["python"])
    for sheets in sizes:
        c = corpus(sheets, args.cartella, variants=())
        plan = str(c.plan_file)
        runs = timing.rounds({"validate": [*timing.schede(), "validate", plan],
                              "yaml": [sys.executable, FLOORS, "yaml", plan]}, args.ripetizioni, "yaml")
        inside = {"project": timing.fresh([__file__, "--misura", plan, str(args.ripetizioni)]),
                  "yaml": timing.fresh([FLOORS, "--ripeti", str(args.ripetizioni), "yaml", plan])}
        table.section(f"Piano di {italian(sheets)} schede ({italian(c.plan_file.stat().st_size // 1024)} KB di YAML): "
                      "schede validate")
        table.whole("schede validate", runs["validate"], seconds_target=VALIDATE_TARGET_S if sheets == 1000 else None)
        table.whole("minimo: PyYAML (libyaml) dello stesso file", runs["yaml"])
        table.inside("load_plan(): YAML, modello, controlli", inside["project"], inside["yaml"])
        table.inside("minimo: PyYAML (libyaml) dello stesso file", inside["yaml"], None)
    table.close()


if __name__ == "__main__":
    main()
