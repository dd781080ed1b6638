"""Entry point of `python -m tools.verify`: parse the arguments, call `tools.verify.cli`."""

from __future__ import annotations

import signal
import sys

from tools.verify.cli import build_parser, run, sigterm_as_interrupt

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, sigterm_as_interrupt)
    sys.exit(run(build_parser().parse_args()))
