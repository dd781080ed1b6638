"""`python -m tools.mutation [--work-dir DIR] [mutmut args]`: lay out the working copy, run mutmut.

Without arguments: `mutmut run`, then the score per area (docs/testing.md). `run NAME...` runs
the named mutants (globs such as `backup_guard.iam*`) and prints the score; any other arguments
go to mutmut as they are (`results`, `show NAME`, `browse`), in the working copy. `--work-dir`
keeps a second copy (two areas run side by side, each with its own mutmut state).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from .layout import WORK_DIR, lay_out
from .score import print_scores


def main(argv: list[str]) -> int:
    work_dir = WORK_DIR
    if argv[:1] == ["--work-dir"]:
        work_dir, argv = Path(argv[1]).resolve(), argv[2:]
    mutmut = [sys.executable, "-m", "mutmut"]
    if argv and argv[0] != "run":
        return subprocess.call([*mutmut, *argv], cwd=work_dir)
    lay_out(work_dir)
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    code = subprocess.call([*mutmut, *(argv or ["run"])], cwd=work_dir, env=env)
    print(f"mutmut run: exit {code}, {time.monotonic() - started:.0f} s wall clock")
    if code != 0:
        return code
    return print_scores(work_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
