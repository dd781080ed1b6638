"""Runs the real program (`__main__.py`) under Pulumi mocks and records every registration.

The mocks answer like AWS would for the account and region of the provider each resource is
registered with (vault ARNs, key ARNs, role ARNs), so that tests can check that the copy action
targets the backup vault's real ARN. A recording monitor also keeps what the mocks API does not
show: resource options (`protect`, `retainOnDelete`), parents and dependencies.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "cross-account-backup"


@dataclass
class Registration:
    """One resource as the engine would receive it."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    provider: str
    parent: str
    protect: bool
    retain_on_delete: bool
    dependencies: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def provider_name(self) -> str:
        """The logical name of the explicit provider (`source-account`, ...), or ``""``."""
        # A provider reference is "<provider urn>::<provider id>"; the URN ends with its name.
        return self.provider.split("::")[-2] if self.provider else ""

    def policy(self, key: str = "policy") -> dict[str, Any]:
        return json.loads(self.inputs[key])


def _fake_id(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


class AwsLikeMocks(pulumi.runtime.Mocks):
    """Returns ids and ARNs shaped like AWS's, in the account and region of each provider."""

    def __init__(self) -> None:
        self.providers: dict[str, tuple[str, str]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ == "pulumi:providers:aws":
            accounts = inputs.get("allowedAccountIds", "[]")
            accounts = json.loads(accounts) if isinstance(accounts, str) else accounts
            provider_id = f"{args.name}_id"
            self.providers[provider_id] = (
                accounts[0] if accounts else "",
                inputs.get("region", ""),
            )
            return provider_id, inputs
        account, region = self.providers.get(
            (args.provider or "").split("::")[-1], ("000000000000", "us-east-1")
        )
        outputs = {**inputs, **_aws_outputs(args.typ, args.name, inputs, account, region)}
        return outputs.pop("id", f"{args.name}-id"), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def _aws_outputs(
    typ: str, name: str, inputs: Mapping[str, Any], account: str, region: str
) -> dict[str, Any]:
    if typ == "aws:kms/key:Key":
        key_id = _fake_id(account, name)
        return {
            "id": key_id,
            "keyId": key_id,
            "arn": f"arn:aws:kms:{region}:{account}:key/{key_id}",
        }
    if typ == "aws:backup/vault:Vault":
        vault = inputs["name"]
        return {"id": vault, "arn": f"arn:aws:backup:{region}:{account}:backup-vault:{vault}"}
    if typ == "aws:backup/plan:Plan":
        plan_id = _fake_id(account, name)
        return {"id": plan_id, "arn": f"arn:aws:backup:{region}:{account}:backup-plan:{plan_id}"}
    if typ == "aws:iam/role:Role":
        return {"id": inputs["name"], "arn": f"arn:aws:iam::{account}:role/{inputs['name']}"}
    if typ == "aws:sns/topic:Topic":
        return {"id": name, "arn": f"arn:aws:sns:{region}:{account}:{inputs['name']}"}
    return {}


class RecordingMonitor(runtime_mocks.MockMonitor):
    """The mock monitor, keeping every registration request with its options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            state = self.resources.get(response.urn)
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=rpc.deserialize_properties(request.object),
                    provider=request.provider,
                    parent=request.parent,
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    dependencies=list(request.dependencies),
                    ignore_changes=list(request.ignoreChanges),
                    outputs=dict(state.state) if state else {},
                )
            )
        return response


@dataclass
class ProgramRun:
    registrations: list[Registration]
    outputs: dict[str, Any]
    error: BaseException | None
    namespace: dict[str, Any] = field(default_factory=dict)
    """The program's module globals (`backup` is the component)."""

    def by_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Registration:
        found = [r for r in self.by_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, got {[r.name for r in found]}"
        return found[0]


def stack_config(stack: str) -> dict[str, Any]:
    """`Pulumi.yaml` defaults overridden by `Pulumi.<stack>.yaml`, full keys, decoded values."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    values: dict[str, Any] = {}
    for key, declaration in (project.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            values[key] = declaration["default"]
        elif isinstance(declaration, dict) and "value" in declaration:
            values[key] = declaration["value"]
    stack_file = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    values.update(stack_file.get("config") or {})
    return {k: v for k, v in values.items() if v is not None}


def run_program(
    config: Mapping[str, Any], *, stack: str = "dev", preview: bool = False
) -> ProgramRun:
    """Run `__main__.py` with `config` (full keys, decoded values) and return what it registered."""
    mocks = AwsLikeMocks()
    monitor = RecordingMonitor(mocks)
    settings.ROOT.set(None)  # a fresh root stack for every run
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    # The CLI hands every value to the program as a string; objects as JSON text.
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    )
    error: BaseException | None = None
    namespace: dict[str, Any] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace = runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
    except Exception as caught:  # returned to the test, which asserts on it
        error = caught
    finally:
        os.chdir(cwd)
    _sync_await(wait_for_rpcs())
    root = settings.get_root_resource()
    outputs: dict[str, Any] = {}
    if error is None and root is not None:
        for key, value in getattr(root, "outputs", {}).items():
            outputs[key] = _sync_await(pulumi.Output.from_input(value).future())
    return ProgramRun(monitor.registrations, outputs, error, namespace)
