"""The real program (`__main__.py`) under Pulumi mocks, for per-property tests.

Pulumi's own pattern (pulumi/examples testing-unit-py/test_testing_with_mocks.py): a
`pulumi.runtime.Mocks` subclass answering `new_resource` with an id and state, `set_mocks`, then
the program is imported and its resources inspected. Here the mocks are the offline engine's
(`tools/preview/engine.py`, `mocks.py`), shared with the preview: they answer like AWS in the
account and region of each resource's provider (so the copy action can be checked against the
backup vault's real ARN), and a monitor keeps what the mocks API does not show (options, parents,
dependencies). This module only adds the options as attributes and lookups by type and name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.preview import engine
from tools.preview.engine import REPO_ROOT as ROOT
from tools.stack.config import load_stack_config

__all__ = ["ROOT", "ProgramRun", "Registration", "run_program", "stack_config"]


@dataclass(frozen=True)
class Registration:
    """One resource as the engine would receive it, with its options as attributes."""

    raw: engine.Registration

    def __getattr__(self, name: str) -> Any:
        # type, name, urn, inputs, outputs, parent, dependencies: the engine's record as is.
        return getattr(self.raw, name)

    @property
    def protect(self) -> bool:
        return bool(self.raw.options.get("protect"))

    @property
    def retain_on_delete(self) -> bool:
        return bool(self.raw.options.get("retainOnDelete"))

    @property
    def ignore_changes(self) -> list[str]:
        return list(self.raw.options.get("ignoreChanges", []))

    @property
    def provider_name(self) -> str:
        """The logical name of the explicit provider (`source-account`, ...), or ``""``."""
        # A provider reference is "<provider urn>::<provider id>"; the URN ends with its name.
        return self.raw.provider.split("::")[-2] if self.raw.provider else ""

    def policy(self, key: str = "policy") -> dict[str, Any]:
        return json.loads(self.inputs[key])


@dataclass
class ProgramRun:
    registrations: list[Registration]
    outputs: dict[str, Any]
    error: BaseException | None
    namespace: dict[str, Any]
    """The program's module globals (`backup` is the component)."""

    def by_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Registration:
        found = [r for r in self.by_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, got {[r.name for r in found]}"
        return found[0]


def stack_config(stack: str) -> dict[str, Any]:
    """`Pulumi.yaml` defaults overridden by `Pulumi.<stack>.yaml`, full keys, decoded values."""
    return load_stack_config(stack)


def run_program(
    config: Mapping[str, Any], *, stack: str = "dev", preview: bool = False
) -> ProgramRun:
    """Run `__main__.py` with exactly `config` (full keys, decoded values)."""
    # The engine starts from the stack's files: replace every value, drop the keys `config` lacks.
    overrides: dict[str, Any] = {key: None for key in load_stack_config(stack)}
    overrides.update(config)
    # `--skip-config-validation`: the program's own checks, not the CLI's, are under test.
    run = engine.run_stack(
        stack, preview=preview, config_overrides=overrides, skip_config_validation=True
    )
    return ProgramRun(
        registrations=[Registration(r) for r in run.resources],
        outputs=run.outputs,
        error=run.error,
        namespace=run.namespace,
    )
