"""Launch a Python policy pack the way the Pulumi CLI does, with the standard library only.

The CLI starts `<python> -u -m pulumi.policy <engine-address> .` in the pack directory, with its
own environment plus `PULUMI_PROJECT`, `PULUMI_STACK`, `PULUMI_DRY_RUN`, `PULUMI_ORGANIZATION`
and `PULUMI_CONFIG` (the stack config as JSON), then reads the pack's port on the first line of
its stdout (see `tools/pack_client.py` for the sources). This module does that part, and only
that part: the gRPC side (dialing the port, `ConfigureStack`, the analyzer calls) is
`PolicyPackProcess` in `tools/pack_client.py`, which takes over a launched pack with `attach`.

It imports nothing but the standard library on purpose: `tools/preview.py` launches the pack
before it imports Pulumi and gRPC (about a second), so that the pack's boot overlaps that import
and the program's run. For the same reason its two threads (the port reader, the stderr drain)
import nothing: two threads importing Pulumi at once break Pulumi's circular imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The engine address the pack is given: the pack never dials it (no engine here).
ENGINE_PLACEHOLDER = "127.0.0.1:0"
ORGANIZATION = "organization"


class PackError(RuntimeError):
    """The pack did not start or answered with an error; the message includes its stderr."""


class LaunchedPack:
    """A pack process just spawned: its port line is read and its stderr drained in the
    background, so the caller can do something else while the pack boots."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        python: str,
        project: str,
        stack: str,
        dry_run: bool,
        stack_config: Mapping[str, Any],
    ) -> None:
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            raise PackError(f"{pack_dir} has no PulumiPolicy.yaml: not a policy pack")
        self.pack_dir = pack_dir
        self.python = python
        self.project = project
        self.stack = stack
        self.dry_run = dry_run
        self.stack_config = dict(stack_config)
        # Seconds from the spawn to the port line, once the pack printed it.
        self.startup_seconds: float | None = None
        self._port_line = b""
        self._stderr: list[bytes] = []
        self._t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.pack_dir,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._port_reader = threading.Thread(target=self._read_port, daemon=True)
        self._port_reader.start()
        self._stderr_drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_drain.start()

    def command(self) -> list[str]:
        """The command line, run in the pack directory."""
        return [self.python, "-u", "-m", "pulumi.policy", ENGINE_PLACEHOLDER, "."]

    def environment(self) -> dict[str, str]:
        """This process's environment plus what the CLI adds for the pack."""
        env = dict(os.environ)
        env.update(
            {
                "PULUMI_PROJECT": self.project,
                "PULUMI_STACK": self.stack,
                "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
                "PULUMI_ORGANIZATION": ORGANIZATION,
            }
        )
        if self.stack_config:
            env["PULUMI_CONFIG"] = json.dumps(self.stack_config)
        return env

    def _read_port(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line.isdigit():
            self.startup_seconds = time.perf_counter() - self._t0
        self._port_line = line

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    @property
    def stderr(self) -> str:
        """What the pack wrote on stderr so far."""
        return b"".join(self._stderr).decode(errors="replace")

    def wait_port(self, timeout: float = 60.0) -> int:
        """The port the pack serves on; `PackError` with its stderr if it did not print one
        within `timeout` seconds (the pack is then stopped)."""
        self._port_reader.join(timeout)
        if self._port_line.isdigit():
            return int(self._port_line)
        self.stop()
        # The pack has exited: its stderr ends soon (unless a child of its own holds it open).
        self._stderr_drain.join(1.0)
        stderr = self.stderr.strip()
        raise PackError(
            f"the policy pack in {self.pack_dir} did not start: it did not print its port "
            f"(got {self._port_line!r})" + (f"; stderr:\n{stderr}" if stderr else "")
        )

    def stop(self) -> None:
        """Stop the pack if it still runs (the CLI kills its plugins the same way)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def launch_pack(
    pack_dir: str | Path,
    *,
    python: str = sys.executable,
    project: str = "cross-account-backup",
    stack: str = "dev",
    dry_run: bool = True,
    stack_config: Mapping[str, Any] | None = None,
) -> LaunchedPack:
    """Spawn the pack in `pack_dir` as the CLI does and return at once; `PackError` if the
    directory is not a policy pack, `OSError` if the interpreter can't be started."""
    return LaunchedPack(
        Path(pack_dir),
        python=python,
        project=project,
        stack=stack,
        dry_run=dry_run,
        stack_config=stack_config or {},
    )
