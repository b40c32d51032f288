"""Instructions a Python command executes, counted by valgrind's callgrind: a figure that does
not depend on the machine's load (the bench scripts' ``--callgrind``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def instructions(script: str, *arguments: str) -> int:
    """Instructions executed by ``python script arguments…`` (hash seed fixed, so two runs of
    the same code count the same)."""
    with tempfile.TemporaryDirectory(prefix="knd-callgrind-") as tmp:
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={Path(tmp) / 'out'}",
            sys.executable, script, *arguments,
        ]  # fmt: skip
        env = dict(os.environ, PYTHONHASHSEED="0")
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(done.stderr[-2000:])
    return int(found.group(1))
