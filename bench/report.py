"""The benches' printed table: figures, ratios and the issue's targets next to them, in Italian.

Rows are printed as soon as they are measured, so a long run shows its progress. Whole-process
rows give the median, min and max wall seconds of the paired rounds, the peak memory and the
median of the round-by-round ratios to the floor; in-process rows the median of the repeats in
a fresh process and the ratio of the medians. A target is printed with «sì» or «no» beside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import timing
from corpus import DEFAULT_WORK, PER_SECTOR
from timing import Runs, machine

_HEAD = f"{'':<44}{'mediana s':>10}{'min s':>8}{'max s':>8}{'picco MB':>10}{'rapporto':>10}  obiettivo"


def italian(n: int) -> str:
    """1234567 as an Italian reader writes it: 1.234.567."""
    return f"{n:,}".replace(",", ".")


def options(doc: str, repeats: int = 3) -> argparse.ArgumentParser:
    """The options every bench has."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="schede per misura, separate da virgole")
    parser.add_argument("--quick", action="store_true", help="solo 100 schede")
    parser.add_argument("--ripetizioni", type=int, default=repeats, help="giri appaiati (e ripetizioni nel processo)")
    parser.add_argument("--senza-riscaldamento", action="store_true",
                        help="nessun giro di riscaldamento (per provare lo script; cifre meno affidabili)")
    parser.add_argument("--cartella", type=Path, default=DEFAULT_WORK, help="cartella di lavoro, riusata tra le esecuzioni")
    return parser


def sizes_of(args: argparse.Namespace) -> list[int]:
    """The sizes asked for; also applies --senza-riscaldamento."""
    timing.WARM_UP[0] = 0 if args.senza_riscaldamento else 1
    if args.quick:
        return [100]
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"--sizes vuole numeri separati da virgole, per esempio 100,1000: {args.sizes}") from None
    if wrong := [n for n in sizes if n < PER_SECTOR or n % PER_SECTOR]:
        raise SystemExit(f"Il numero di schede deve essere un multiplo di {PER_SECTOR}: {wrong[0]}.")
    return sizes


def _verdict(value: float | None, target: float | None, below: bool = False, unit: str = "") -> str:
    if target is None:
        return ""
    bound = f"{'<' if below else '<='} {target:g}{unit}"
    if value is None:
        return bound
    return f"{bound}: {'sì' if (value < target if below else value <= target) else 'no'}"


class Table:
    """One bench's output."""

    def __init__(self, title: str) -> None:
        print(f"== {title}: {machine()}", flush=True)
        self._kind = ""

    def section(self, title: str) -> None:
        print(f"\n-- {title}\n{_HEAD}", flush=True)
        self._kind = ""

    def _group(self, kind: str, text: str) -> None:
        if kind != self._kind:
            print(text, flush=True)
            self._kind = kind

    def whole(self, label: str, runs: Runs | None, *, target: float | None = None,
              seconds_target: float | None = None, peak_target: float | None = None) -> None:
        """A row of paired whole-process runs; `target` bounds the ratio, the others seconds or MB."""
        if runs is not None:
            warm = ", dopo uno di riscaldamento" if runs.warm_up else ", senza riscaldamento"
            self._group("whole", f"processo intero ({len(runs.seconds)} giri appaiati{warm})")
        if runs is None:
            print(f"  {label:<42}{'n/d':>10}", flush=True)
            return
        goals = [g for g in (_verdict(runs.ratio, target), _verdict(runs.median, seconds_target, True, " s"),
                             _verdict(runs.peak, peak_target, True, " MB")) if g]
        reference = all(r == 1.0 for r in runs.ratios)
        ratio_text = "" if reference or runs.ratio is None else f"{runs.ratio:.2f}"
        print(f"  {label:<42}{runs.median:>10.2f}{min(runs.seconds):>8.2f}{max(runs.seconds):>8.2f}"
              f"{runs.peak:>10.0f}{ratio_text:>10}  {'; '.join(goals)}", flush=True)

    def inside(self, label: str, measured: dict | None, reference: dict | None, *,
               target: float | None = None) -> None:
        """A row of an in-process measure; the ratio is to `reference`'s median."""
        self._group("inside", "nel processo (un processo nuovo per misura, importazioni escluse; mediana delle ripetizioni)")
        if not measured or measured.get("seconds") is None:
            print(f"  {label:<42}{'n/d':>10}", flush=True)
            return
        seconds = measured["all"]
        ratio = measured["seconds"] / reference["seconds"] if reference else None
        ratio_text = f"{ratio:.2f}" if ratio is not None else ""
        print(f"  {label:<42}{measured['seconds']:>10.2f}{min(seconds):>8.2f}{max(seconds):>8.2f}"
              f"{measured['peak_mb']:>10.0f}{ratio_text:>10}  {_verdict(ratio, target)}", flush=True)

    def note(self, text: str) -> None:
        print(f"  {text}", flush=True)

    def close(self) -> None:
        print(flush=True)
        sys.stdout.flush()
