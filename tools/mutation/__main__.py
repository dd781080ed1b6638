"""`python -m tools.mutation [mutmut args]`: lay out the working copy, then run mutmut in it.

Without arguments: `mutmut run`, then the score per area (docs/testing.md). With arguments they
go to mutmut as they are (`results`, `show NAME`, `run NAME ...`), in the working copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from .layout import WORK_DIR, lay_out
from .score import print_scores


def main(argv: list[str]) -> int:
    if argv and argv[0] != "run":
        return subprocess.call([sys.executable, "-m", "mutmut", *argv], cwd=WORK_DIR)
    lay_out()
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    code = subprocess.call(
        [sys.executable, "-m", "mutmut", *(argv or ["run"])], cwd=WORK_DIR, env=env
    )
    print(f"mutmut run: exit {code}, {time.monotonic() - started:.0f} s wall clock")
    if code != 0:
        return code
    return print_scores(WORK_DIR)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
