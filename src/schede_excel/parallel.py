"""Independent tasks spread over processes: results in the order of the input, progress in the caller.

`run_tasks(task, items, context, ...)` calls `task(context, item)` for every item and returns the
results in the order of `items`, whether it ran them in this process or in a pool of worker
processes. The `context` (the plan, typically) reaches each worker once, when it starts, not
with every item. Progress is reported from this process, as each item finishes.

A worker that dies (killed for memory, a crash in a C library) breaks the pool: the items that did
not finish are run again in turn by one worker, so that the item it dies on is known and gets
`on_crash(item, reason)` as its result; the rest go on in a new pool.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from typing import Any, Callable, Sequence, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

_context: Any = None


def available_cores() -> int:
    """The processors this process may run on (fewer than the machine's under a CPU affinity mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def pool_size(processes: int | None, items: int, *, enough: bool = True) -> int:
    """How many processes to use: an explicit `processes` as given (never more than the items);
    None means the cores available, when `enough` work makes starting workers worth it."""
    if processes is None:
        processes = available_cores() if enough else 1
    return max(1, min(processes, items))


def run_tasks(task: Callable[[Any, Item], Outcome], items: Sequence[Item], context: Any, *,
              processes: int = 1, progress: Callable[[Item], None] | None = None,
              on_crash: Callable[[Item, str], Outcome] | None = None,
              order: Sequence[int] | None = None) -> list[Outcome]:
    """`[task(context, item) for item in items]`, in `processes` processes.

    `task` must be a module-level function (the workers import it by name). `order` is the order
    in which to start the items (the largest first balances the workers); the results are in
    the order of `items` all the same. An exception raised by `task` is raised here, as in one
    process. Without `on_crash`, an item that kills its worker raises `WorkerCrashed`.
    """
    if processes <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(task(context, item))
            if progress:
                progress(item)
        return results
    pending = list(order) if order is not None else list(range(len(items)))
    results: dict[int, Outcome] = {}
    workers = processes
    while pending:
        unfinished = _in_pool(task, items, pending, context, workers, progress, results)
        if workers == 1 and unfinished:
            # One worker runs the items in turn: the first one unfinished is the one it died on.
            culprit, unfinished = unfinished[0], unfinished[1:]
            reason = "il processo che lo elaborava si è interrotto (memoria esaurita o difetto di una libreria)"
            if on_crash is None:
                raise WorkerCrashed(items[culprit], reason)
            results[culprit] = on_crash(items[culprit], reason)
            if progress:
                progress(items[culprit])
            workers = processes
        elif unfinished:
            workers = 1  # find the item that killed the pool before going on with the others
        pending = unfinished
    return [results[index] for index in range(len(items))]


class WorkerCrashed(RuntimeError):
    """A task killed the process that ran it, even run alone."""

    def __init__(self, item: Any, reason: str):
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason


def _in_pool(task, items, indexes: list[int], context, processes: int, progress, results: dict) -> list[int]:
    """Run `items[i]` for each i in `indexes` in a new pool; the indexes left unfinished by a dead worker, in turn."""
    from concurrent.futures import ProcessPoolExecutor, as_completed  # only a run with a pool pays for them
    from concurrent.futures.process import BrokenProcessPool

    unfinished: set[int] = set()
    method = _start_method()
    executor = ProcessPoolExecutor(max_workers=min(processes, len(indexes)), mp_context=method,
                                   initializer=_start_worker, initargs=(context,))
    # A caller that froze objects itself keeps them frozen: then nothing is frozen or thawed here.
    forked = method.get_start_method() == "fork" and gc.get_freeze_count() == 0
    if forked:
        # The workers start at the first submit. What they inherit (the plan, above all) is moved out of
        # the collector's reach first: their collections neither walk it nor write to its pages, which
        # fork shares until they are written; nor do this process's while it takes their results.
        gc.freeze()
    try:
        futures = {executor.submit(_call, task, items[i]): i for i in indexes}
        for future in as_completed(futures):
            index = futures[future]
            try:
                results[index] = future.result()
            except BrokenProcessPool:
                unfinished.add(index)
                continue
            if progress:
                progress(items[index])
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        if forked:
            gc.unfreeze()
    executor.shutdown(wait=True)
    return [i for i in indexes if i in unfinished]


def _call(task, item):
    return task(_context, item)


def _start_worker(context) -> None:
    global _context
    _context = context
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle: it stops the pool


def _start_method():
    # fork shares the context without pickling it and starts a worker in milliseconds; it is
    # safe only while this process runs no other thread (Python warns otherwise).
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
