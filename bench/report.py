"""The benches' printed table: figures, ratios and the issue's targets next to them, in Italian.

Rows are printed as soon as they are measured, so a long run shows its progress. Whole-process
rows give the median, min and max wall seconds of the paired rounds, the peak memory and the
median of the round-by-round ratios to the floor; in-process rows the median of the repeats in
a fresh process and the ratio of the medians. A target is printed with «sì» or «no» beside it.
"""

from __future__ import annotations

import sys

from timing import Runs, machine

_HEAD = f"{'':<44}{'mediana s':>10}{'min s':>8}{'max s':>8}{'picco MB':>10}{'rapporto':>10}  obiettivo"


def italian(n: int) -> str:
    """1234567 as an Italian reader writes it: 1.234.567."""
    return f"{n:,}".replace(",", ".")


def parse_sizes(sizes: str, quick: bool) -> list[int]:
    if quick:
        return [100]
    try:
        return [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"--sizes vuole numeri separati da virgole, per esempio 100,1000: {sizes}") from None


def _verdict(value: float | None, target: float | None, below: bool = False) -> str:
    if target is None:
        return ""
    if value is None:
        return f"{'<' if below else '<='} {target:g}"
    ok = value < target if below else value <= target
    return f"{'<' if below else '<='} {target:g}: {'sì' if ok else 'no'}"


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
            self._group("whole", f"processo intero ({len(runs.seconds)} giri appaiati, dopo uno di riscaldamento)")
        if runs is None:
            print(f"  {label:<42}{'n/d':>10}", flush=True)
            return
        goals = [_verdict(runs.ratio, target), _verdict(runs.median, seconds_target, below=True),
                 _verdict(runs.peak, peak_target, below=True)]
        goals = [g + unit for g, unit in zip(goals, ("", " s", " MB")) if g]
        reference = all(r == 1.0 for r in runs.ratios)
        ratio_text = "" if reference or runs.ratio is None else f"{runs.ratio:.2f}"
        print(f"  {label:<42}{runs.median:>10.2f}{min(runs.seconds):>8.2f}{max(runs.seconds):>8.2f}"
              f"{runs.peak:>10.0f}{ratio_text:>10}  {'; '.join(goals)}", flush=True)

    def inside(self, label: str, measured: dict | None, reference: dict | None, *,
               target: float | None = None) -> None:
        """A row of an in-process measure; the ratio is to `reference`'s median."""
        self._group("inside", "nel processo (senza avvio né lettura del piano; mediana delle ripetizioni, processo nuovo)")
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
