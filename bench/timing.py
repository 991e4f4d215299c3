"""How the benches measure: whole processes in paired rounds, and the in-process part in a fresh process.

`rounds(commands, n)` starts every command once per round, in turn (A B C, A B C, ...), after one
warm-up round that does not count, and gives each command's wall seconds and peak memory (the
largest single process, its pool's workers included, as the kernel accounts it: `os.wait4` in a
small launcher, so that the bench's own memory is not counted). A ratio is taken
round by round, against the reference run of the same round, and its median is quoted: pairing
keeps the ratio meaningful when a shared machine's speed drifts while the bench runs.

`fresh(argv)` runs one in-process measure in a new Python process, which prints a JSON line:
the median seconds of its repeats and its peak memory (only that process's own, so one measure's
memory does not leak into the next; started through the same launcher as `run_once`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Runs:
    """One command's rounds: wall seconds and peak MB of each run, and its ratios to the reference."""

    label: str
    warm_up: int = 1
    seconds: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak(self) -> float:
        return max(self.peaks)

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None


def environment() -> dict[str, str]:
    """The environment of every measured command: the project's sources first on the path.

    Bytecode is cached as on any installation: with PYTHONDONTWRITEBYTECODE set, every run would
    compile the project's modules again and its start-up would count seconds no user waits.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def schede() -> list[str]:
    """The real CLI, as the user runs it: the `schede` script next to this Python, else `-m`."""
    script = Path(sys.executable).with_name("schede")
    return [str(script)] if script.exists() else [sys.executable, "-m", "schede_excel.cli.main"]


# The measured command is started by a small Python of its own, which times it and reads its peak
# memory with wait4. Started straight from the bench, the command's peak would count the bench's own:
# Linux carries the memory high-water mark of the process that forks over `exec`, and the bench may
# hold hundreds of MB of results by then.
_LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    out.write(f"{wall} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak MB of one whole process (its pool's workers included); its output is thrown away."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r", suffix=".misura") as measure:
        process = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, measure.name, *argv], env=env or environment(),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        if process.returncode:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[:4])} ... è uscito con {process.returncode}:\n"
                             f"{err.read().decode(errors='replace')[-2000:]}")
        wall, peak_kb = measure.read().split()
    return float(wall), int(peak_kb) / 1024


WARM_UP = [1]  # rounds run first and not counted; bench scripts set it from --senza-riscaldamento


def rounds(commands: dict[str, list[str]], n: int, reference: str, *, before=None) -> dict[str, Runs]:
    """Every command run `n` times, in turn, after the warm-up round; ratios to `reference` per round.

    `before(label)`, if given, is called before each run (to empty an output folder, say).
    """
    runs = {label: Runs(label, warm_up=WARM_UP[0]) for label in commands}
    for number in range(1 - WARM_UP[0], n + 1):
        wall = {}
        for label, argv in commands.items():
            if before:
                before(label)
            wall[label], peak = run_once(argv)
            if number:
                runs[label].seconds.append(wall[label])
                runs[label].peaks.append(peak)
        if number:
            for label in commands:
                runs[label].ratios.append(wall[label] / wall[reference])
    return runs


def fresh(argv: list[str]) -> dict:
    """One in-process measure in a new Python process: the JSON it prints."""
    with tempfile.NamedTemporaryFile("r", suffix=".misura") as measure:  # through the launcher: see run_once
        done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, measure.name, sys.executable, *argv],
                              env=environment(), capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"Misura {' '.join(argv[:3])} fallita:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pool_arguments(function, processes: int) -> dict | None:
    """The keyword `processes=N` for `function`; {} for one process where it has no pool, None for N > 1 there.

    One process is asked for explicitly: left to itself, the library starts a pool when the work is enough.
    """
    import inspect

    if "processes" in inspect.signature(function).parameters:
        return {"processes": processes}
    return {} if processes <= 1 else None


NOT_AVAILABLE = {"seconds": None, "peak_mb": None}
"""The measure of something the code under test cannot do yet (printed «n/d»)."""


def repeat(work, times: int, setup=None) -> dict:
    """Inside a measuring process: `work()` run `times` times; median seconds and the process's peak MB.

    `setup()`, if given, runs before each repeat and is not timed; `work` gets what it returns.
    """
    import resource

    seconds = []
    for _ in range(times):
        arg = setup() if setup else None
        start = time.perf_counter()
        work(arg) if setup else work()
        seconds.append(time.perf_counter() - start)
    return {"seconds": statistics.median(seconds), "all": seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def machine() -> str:
    """The machine in one line: processors, memory, Python."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    return (f"{cores} processori, {memory:.0f} GiB, Python {sys.version.split()[0]}, "
            f"carico medio {load:.1f} all'avvio")


def fmt_s(value: float | None) -> str:
    return "n/d" if value is None else f"{value:.2f}"


def options_of(command: str) -> str:
    """The help text of `schede COMMAND`, to see which options the installed CLI has."""
    done = subprocess.run([*schede(), command, "--help"], env=environment(), capture_output=True, text=True)
    return done.stdout


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
