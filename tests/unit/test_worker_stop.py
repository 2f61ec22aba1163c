"""A worker stuck in its own shutdown ends itself, and its pool processes, once the stop deadline has passed."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

STUCK = """
import os, time
from workers import tasks
child = os.fork()
if child == 0:
    time.sleep(60)
    os._exit(0)
print(child, flush=True)
tasks._end_if_still_stopping(0.3)  # as the deadline thread does once the worker has been stopping too long
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # killed, waiting to be reaped


def test_a_stuck_stop_ends_the_worker_and_its_pool_processes():
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK], cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    child = int(proc.stdout.readline())
    started = time.monotonic()
    assert proc.wait(15) == 1
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 5
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child), "the pool process outlived the worker"
