"""Run a command and sample the resident memory of its whole process tree (CLI + kernel)."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass

import psutil

__all__ = ["Measured", "run_measured"]


@dataclass
class Measured:
    seconds: float
    tree: int  # bytes: the largest sum over the process tree, sampled
    largest: int  # bytes: the largest single process, sampled
    returncode: int
    stderr: str


def run_measured(command: list[str], every: float = 0.2) -> Measured:
    """Wall time of ``command`` and the peak RSS of its tree, sampled every ``every`` seconds."""
    peak = {"tree": 0, "largest": 0}
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                sizes = [p.memory_info().rss for p in (parent, *parent.children(recursive=True)) if p.is_running()]
                peak["tree"] = max(peak["tree"], sum(sizes))
                peak["largest"] = max(peak["largest"], max(sizes))
            except psutil.Error:
                pass
            time.sleep(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return Measured(elapsed, peak["tree"], peak["largest"], proc.returncode, stderr)
