"""Load on the running service with ``wrk`` (Debian package ``wrk``): requests/s, p99 latency, errors.

The connections go through every query of the run in turn (a small Lua script hands ``wrk`` the
next URL for each request), so the load is the same mix of searches the latency figures time.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

#: ``wrk``'s load: connections, threads, seconds.
LOAD = (16, 2, 20)

_ROTATE = """\
local paths = %s
local next_path = 0
request = function()
  next_path = next_path %% #paths + 1
  return wrk.format("GET", paths[next_path])
end
"""


def search_path(text: str) -> str:
    """The JSON endpoint's URL for *text*."""
    return "/api/search?q=" + quote(text)


def rotation_script(paths: Sequence[str], script: Path) -> Path:
    """Write the Lua script that makes ``wrk`` request *paths* in turn; returns its path."""
    # JSON strings of ASCII paths are valid Lua strings; a Lua table is written with braces.
    listed = "{" + ", ".join(json.dumps(path) for path in paths) + "}"
    script.write_text(_ROTATE % listed, encoding="utf-8")
    return script


def parse_wrk(output: str) -> dict:
    """Requests/s, p99 latency (ms) and errors from ``wrk --latency`` output."""
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_second": float(rate.group(1)) if rate else None,
        "p99_ms": float(p99.group(1)) * units[p99.group(2)] if p99 else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, sockets.groups())) if sockets else 0,
    }


def run_load(port: int, queries: Sequence[str], work: Path) -> dict:
    """``wrk`` against the search endpoint, *queries* in turn, or a note that it is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"missing": "wrk is not on PATH (Debian package wrk); load not measured"}
    connections, threads, seconds = LOAD
    script = rotation_script([search_path(text) for text in queries], work / "rotate.lua")
    url = f"http://127.0.0.1:{port}"
    run = subprocess.run([wrk, "-c", str(connections), "-t", str(threads), "-d", f"{seconds}s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True, check=False)
    return {"url": url, "queries": len(queries), "connections": connections, "threads": threads,
            "seconds": seconds, **parse_wrk(run.stdout), "output": run.stdout + run.stderr}
