"""Is a process alive? (Linux ``/proc``; used by the reaper and the locks.)"""

from __future__ import annotations

import os


def _boot_time() -> float | None:
    try:
        with open("/proc/stat") as fh:
            for line in fh:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def process_started_at(pid: int) -> float | None:
    """Unix time a process started (Linux ``/proc``), or None when unknown."""
    boot = _boot_time()
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if boot is None:
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def pid_alive(pid: int, *, since: float | None = None) -> bool:
    """True when process ``pid`` exists (and, given ``since``, started before it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False  # a zombie has exited
    except (OSError, IndexError):
        pass
    started = process_started_at(pid)
    if since is not None and started is not None and started > since + 1.0:
        return False  # the pid was recycled by a newer process
    return True
