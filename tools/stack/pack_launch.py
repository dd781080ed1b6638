"""Launch a Python policy pack the way the Pulumi CLI does, with the standard library only.

How the CLI starts a local Python pack (pulumi/pulumi at 1b59498, CLI >= 3.227):

- `pkg/resource/plugin/analyzer_plugin.go` `NewPolicyAnalyzer`: the `python` language plugin
  exists, so the pack directory is run through it: `newPlugin(ctx, ctx.Pwd, policyPackPath, ...,
  []string{host.ServerAddr()}, analyzerEnv, ...)`.
- `pkg/resource/plugin/plugin.go` `ExecPlugin`: the environment is the CLI's own
  (`os.Environ()`) plus the analyzer's extra variables; a directory with a `PulumiPolicy.yaml` is
  run by `runtime.RunPlugin` with `NewProgramInfo(pluginDir, pluginDir, ".", options)`, the pack
  directory made absolute.
- `sdk/python/cmd/pulumi-language-python/main.go` `RunPlugin`: `parseOptions` (for an analyzer
  no `virtualenv` default), `toolchain.ResolveToolchain`, then for `kind == analyzer`:
  `args = ["-u", "-m", "pulumi.policy", <engine-address>, <ProgramDirectory>]`,
  `cmd.Dir = req.Info.ProgramDirectory`; it waits for the engine's `ConfigureStack` (a proxy)
  and adds `PULUMI_ORGANIZATION`, `PULUMI_PROJECT`, `PULUMI_STACK`, `PULUMI_DRY_RUN`,
  `PULUMI_CONFIG` (the stack config as JSON), then appends `req.Env` (the CLI's environment;
  Go's exec keeps the last value of a duplicated key).
- `sdk/python/toolchain/toolchain.go` `ResolveToolchain`: with no `toolchain` option, a
  `uv.lock` in the pack directory or a parent selects uv ("detected uv (found uv.lock)"), else a
  `poetry.lock` poetry, else pip. `uv.go` `newUv`: without a `virtualenv` option the virtualenv
  is `.venv` next to the nearest `uv.lock` (or `$UV_PROJECT_ENVIRONMENT`, relative to that
  directory); `Command` runs `uv sync --inexact` (in the pack directory, with
  `UV_PROJECT_ENVIRONMENT` set), then `<venv>/bin/python` with the virtualenv activated
  (`ActivateVirtualEnv`: its `bin` first on `PATH`, `VIRTUAL_ENV` set, `PYTHONHOME` dropped).
  `pip.go`: `<virtualenv>/bin/python` when the option is set, else the `python3` on `PATH`.

So `policies/` (`toolchain: uv`, no `virtualenv`) runs as `<repo>/.venv/bin/python -u -m
pulumi.policy <engine> <repo>/policies` in `<repo>/policies`, with the repo's locked
dependencies: `requirements.txt` plays no part. This module does exactly that, except the
`uv sync --inexact` step (`make setup` has synced the same virtualenv with `--frozen`; syncing
here could rewrite the lock). The gRPC side (dialing the port, `ConfigureStack`, the analyzer
calls) is `PolicyPackProcess` in `tools/preview/pack_client.py`, which takes over a launched pack
with `attach`.

It imports nothing but the standard library on purpose (PyYAML, to read `PulumiPolicy.yaml`,
only inside `runtime_options`): `tools/preview/__main__.py` launches the pack
before it imports Pulumi and gRPC (about a second), so that the pack's boot overlaps that import
and the program's run. For the same reason its two threads (the port reader, the stderr drain)
import nothing: two threads importing Pulumi at once break Pulumi's circular imports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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


def _searchup(start: Path, name: str) -> Path | None:
    """toolchain.go `searchup`: the nearest directory from `start` upwards holding `name`."""
    for d in (start, *start.parents):
        if (d / name).exists():
            return d
    return None


def runtime_options(pack_dir: Path) -> dict[str, str]:
    """`runtime.options` of `PulumiPolicy.yaml` (`runtime: python`, or `runtime: {name: python,
    options: {...}}`: workspace/project.go `ProjectRuntimeInfo.UnmarshalYAML`)."""
    import yaml  # PyYAML (a dependency of pulumi), only here: not on the import path of a launch

    project = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    runtime = project.get("runtime") if isinstance(project, dict) else None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    return {str(k): str(v) for k, v in (options or {}).items()}


def cli_virtualenv(
    pack_dir: Path, options: dict[str, str] | None = None
) -> tuple[str, Path | None]:
    """(toolchain, virtualenv) the CLI resolves for the pack (`ResolveToolchain`, `newUv`,
    `newPip`); the virtualenv is None for pip without one (the `python3` on `PATH`)."""
    root = pack_dir.resolve()
    opts = runtime_options(root) if options is None else options
    toolchain = opts.get("toolchain", "")
    virtualenv = opts.get("virtualenv", "")
    if toolchain == "":
        if _searchup(root, "uv.lock") is not None:
            toolchain = "uv"
        elif _searchup(root, "poetry.lock") is not None:
            toolchain = "poetry"
        else:
            toolchain = "pip"
    if toolchain == "uv":
        if virtualenv:
            return "uv", root / virtualenv
        project = _searchup(root, "uv.lock") or _searchup(root, "pyproject.toml") or root
        env = os.environ.get("UV_PROJECT_ENVIRONMENT", "")
        return "uv", project / env if env else project / ".venv"
    if toolchain == "pip":
        return "pip", (root / virtualenv) if virtualenv else None
    raise PackError(
        f"{pack_dir}/PulumiPolicy.yaml: toolchain {toolchain!r} is not emulated here (uv, pip)"
    )


def cli_python(pack_dir: Path) -> str:
    """The interpreter the CLI runs the pack with."""
    _, venv = cli_virtualenv(pack_dir)
    if venv is None:
        return os.environ.get("PULUMI_PYTHON_CMD") or shutil.which("python3") or "python3"
    return str(venv / "bin" / "python")


def cli_command(pack_dir: Path, python: str | None = None) -> tuple[list[str], Path]:
    """(argv, working directory) of the pack as the CLI starts it (`RunPlugin`, kind analyzer:
    `-u -m pulumi.policy <engine-address> <ProgramDirectory>`, `cmd.Dir = ProgramDirectory`)."""
    program_dir = pack_dir.resolve()
    argv = [python or cli_python(program_dir), "-u", "-m", "pulumi.policy", ENGINE_PLACEHOLDER]
    return [*argv, str(program_dir)], program_dir


def activate_virtualenv(environ: Mapping[str, str], venv: Path) -> dict[str, str]:
    """toolchain.go `ActivateVirtualEnv`: `<venv>/bin` first on `PATH`, `VIRTUAL_ENV` set,
    `PYTHONHOME` dropped."""
    out = {k: v for k, v in environ.items() if k not in ("PYTHONHOME", "VIRTUAL_ENV")}
    path = out.get("PATH")
    out["PATH"] = f"{venv / 'bin'}{os.pathsep}{path}" if path is not None else str(venv / "bin")
    out["VIRTUAL_ENV"] = str(venv)
    return out


class LaunchedPack:
    """A pack process just spawned: its port line is read and its stderr drained in the
    background, so the caller can do something else while the pack boots."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        python: str | None,
        project: str,
        stack: str,
        dry_run: bool,
        stack_config: Mapping[str, Any],
    ) -> None:
        if not (pack_dir / "PulumiPolicy.yaml").is_file():
            raise PackError(f"{pack_dir} has no PulumiPolicy.yaml: not a policy pack")
        self.pack_dir = pack_dir
        # NewProgramInfo(pluginDir, ...) gets the absolute pack directory: it is both the
        # working directory and the program argument.
        self.program_dir = pack_dir.resolve()
        _, self.virtualenv = cli_virtualenv(self.program_dir)
        self.python = python or cli_python(self.program_dir)
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
            cwd=self.program_dir,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._port_reader = threading.Thread(target=self._read_port, daemon=True)
        self._port_reader.start()
        self._stderr_drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_drain.start()

    def command(self) -> list[str]:
        """The command line (`cli_command`), run in `program_dir`."""
        return cli_command(self.program_dir, self.python)[0]

    def environment(self) -> dict[str, str]:
        """`RunPlugin`'s environment, in its order (a later value of a key wins, as Go's exec
        keeps the last): the toolchain's (the virtualenv activated), the stack's variables from
        `ConfigureStack`, then the CLI's own environment (`req.Env`, this process's here)."""
        base = dict(os.environ)
        env = activate_virtualenv(base, self.virtualenv) if self.virtualenv else {}
        env.update(
            {
                "PULUMI_ORGANIZATION": ORGANIZATION,
                "PULUMI_PROJECT": self.project,
                "PULUMI_STACK": self.stack,
                "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
            }
        )
        if self.stack_config:
            env["PULUMI_CONFIG"] = json.dumps(self.stack_config)
        env.update(base)
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
    python: str | None = None,
    project: str = "cross-account-backup",
    stack: str = "dev",
    dry_run: bool = True,
    stack_config: Mapping[str, Any] | None = None,
) -> LaunchedPack:
    """Spawn the pack in `pack_dir` as the CLI does and return at once; `PackError` if the
    directory is not a policy pack, `OSError` if the interpreter can't be started. `python`:
    the interpreter, when not the one the CLI would pick (`cli_python`)."""
    return LaunchedPack(
        Path(pack_dir),
        python=python,
        project=project,
        stack=stack,
        dry_run=dry_run,
        stack_config=stack_config or {},
    )
