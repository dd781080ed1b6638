"""The repo's real stacks as the pack sees them, Pulumi-free: for the direct tests of the pack's
checks (`backup_guard.checks`, `plan_checks`, `copy_checks`, `audit_checks`) and for mutation
testing, which runs only Pulumi-free tests (docs/testing.md).

`fixtures/<stack>-<mode>.json` holds what one `pulumi preview` (mode `preview`: values computed
from outputs are unknown) or `pulumi up` (mode `up`) of the stack sends the pack: every resource
(sorted by URN) as `tools/preview/engine.to_analyzer_resources` gives it, its properties passed
through the wire encoding (`google.protobuf.Struct`: every number a float, as pulumi-policy hands
them over), and the stack's `--policy-pack-config` (`tools/stack/policy_config.policy_config`).

`load()` turns a fixture into the `backup_guard.values.Resource`s that `pack.resources_from_stack`
builds from an `AnalyzeStack` request (provider, `protect`, property dependencies, parent), so a
check sees the same values here as over gRPC. The fixtures are made by the program itself:

    PYTHONPATH=policies .venv/bin/python -m tests.pack.stack_fixtures   # rewrite them all

and `tests/pack/test_stack_fixtures_fresh.py` fails when one no longer matches the program.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from backup_guard import topology
from backup_guard.values import Provider, Resource

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STACKS = ("dev", "prod", "org")
MODES = ("preview", "up")

Stack = dict[str, Any]  # {"policyConfig": {...}, "resources": [analyzer dicts]}


def path(stack: str, mode: str) -> Path:
    return FIXTURES / f"{stack}-{mode}.json"


def raw(stack: str, mode: str = "preview") -> Stack:
    """The fixture as stored: a fresh deep copy, to change freely in a test."""
    data: Stack = json.loads(path(stack, mode).read_text(encoding="utf-8"))
    return data


def to_resource(r: Mapping[str, Any]) -> Resource:
    """One analyzer dict as `pack.resources_from_stack` makes it a `Resource`."""
    p = r.get("provider")
    provider = (
        Provider(p["type"], p["name"], p["urn"], copy.deepcopy(p.get("properties") or {}))
        if p
        else None
    )
    return Resource(
        type=r["type"],
        name=r["name"],
        urn=r["urn"],
        props=copy.deepcopy(r.get("properties") or {}),
        provider=provider,
        protect=bool((r.get("options") or {}).get("protect", False)),
        property_dependencies={
            k: list(v) for k, v in (r.get("propertyDependencies") or {}).items()
        },
        parent=r.get("parent") or None,
    )


def load(stack: str, mode: str = "preview") -> tuple[list[Resource], dict[str, dict[str, Any]]]:
    """(resources, policy config by policy name) of a stored stack."""
    data = raw(stack, mode)
    return [to_resource(r) for r in data["resources"]], data["policyConfig"]


def resources(data: Stack) -> list[Resource]:
    """The `Resource`s of a (possibly changed) `raw()` stack."""
    return [to_resource(r) for r in data["resources"]]


def build(data: Stack) -> topology.Topology:
    """The topology the stack checks get from a (possibly changed) `raw()` stack."""
    return topology.build(resources(data))


def named(data: Stack, name: str) -> dict[str, Any]:
    """The analyzer dict of the resource called `name` (exactly one)."""
    found = [r for r in data["resources"] if r["name"] == name]
    assert len(found) == 1, f"{len(found)} resources named {name!r}"
    one: dict[str, Any] = found[0]
    return one


def of_type(data: Stack, type_: str) -> list[dict[str, Any]]:
    return [r for r in data["resources"] if r["type"] == type_]


def policy_doc(r: Mapping[str, Any], key: str = "policy") -> dict[str, Any]:
    """The JSON policy document in property `key` of an analyzer dict."""
    doc: dict[str, Any] = json.loads(r["properties"][key])
    return doc


def set_policy_doc(r: dict[str, Any], doc: Mapping[str, Any], key: str = "policy") -> None:
    r["properties"][key] = json.dumps(doc)


def clone(data: Stack, name: str, new_name: str) -> dict[str, Any]:
    """A deep copy of the resource called `name`, renamed `new_name` (the last part of its URN
    too), appended to `data`: for a resource the program does not build (a second lock, a vault
    in another region, an ACL)."""
    r = copy.deepcopy(named(data, name))
    r["name"] = new_name
    r["urn"] = r["urn"].rsplit("::", 1)[0] + "::" + new_name
    data["resources"].append(r)
    return r


def set_provider(
    r: dict[str, Any], *, region: str | None = None, account: str | None = None
) -> None:
    """Move the analyzer dict `r` to another region and/or account: its provider's `region` and
    `allowedAccountIds` (JSON-encoded, as provider inputs arrive); a copy of the provider, so the
    other resources keep theirs."""
    provider = copy.deepcopy(r["provider"])
    if region is not None:
        provider["properties"]["region"] = region
    if account is not None:
        provider["properties"]["allowedAccountIds"] = json.dumps([account])
    r["provider"] = provider


def urn(data: Stack, name: str) -> str:
    """The URN of the resource called `name`."""
    found: str = named(data, name)["urn"]
    return found


def resource(data: Stack, name: str) -> Resource:
    """The `Resource` of the resource called `name`, as Analyze gets it."""
    return to_resource(named(data, name))


def config(data: Stack, policy: str) -> dict[str, Any]:
    """A copy of the stack's policy config of `policy`, to change freely."""
    found: dict[str, Any] = copy.deepcopy(data["policyConfig"][policy])
    return found


def judged(
    data: Stack, check: Callable[[Resource, Any], Iterable[str]], cfg: Any
) -> list[tuple[str, str]]:
    """(resource name, message) of a per-resource `check` on every resource of the stack, as
    Analyze runs it."""
    return [(r.name, m) for r in resources(data) for m in check(r, cfg)]


def edit_policy(data: Stack, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the policy document of resource `name` in place."""
    r = named(data, name)
    doc = policy_doc(r)
    change(doc)
    set_policy_doc(r, doc)


# --------------------------------------------------------------------------------------------
# Making the fixtures (needs the Pulumi SDK: not imported by the tests that only read them)


def generate(stack: str, mode: str) -> Stack:
    """What the program registers for `stack` in `mode`, through the wire encoding."""
    from google.protobuf import json_format

    from tools.preview import engine
    from tools.preview.pack_client import _struct
    from tools.stack.policy_config import policy_config

    run = engine.run_stack(stack, preview=mode == "preview")
    if not run.ok:
        raise RuntimeError(f"{stack} ({mode}): {run.error}")

    def wire(props: Mapping[str, Any] | None) -> dict[str, Any]:
        wired: dict[str, Any] = json_format.MessageToDict(_struct(props))
        return wired

    out = []
    for r in engine.to_analyzer_resources(run):
        r = dict(r)
        r["properties"] = wire(r.get("properties"))
        # Dependencies are sets to the engine; their order in a run is not stable.
        r["dependencies"] = sorted(r.get("dependencies") or [])
        r["propertyDependencies"] = {
            k: sorted(v) for k, v in (r.get("propertyDependencies") or {}).items()
        }
        if r.get("provider"):
            r["provider"] = {**r["provider"], "properties": wire(r["provider"]["properties"])}
        out.append(r)
    # Sorted by URN: the program registers concurrently (asyncio), so the order of a run is not
    # stable; the checks must not depend on it (the pack gets the engine's order).
    out.sort(key=lambda r: r["urn"])
    return {"policyConfig": policy_config(stack), "resources": out}


def text(data: Stack) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main() -> int:
    FIXTURES.mkdir(exist_ok=True)
    for stack in STACKS:
        for mode in MODES:
            path(stack, mode).write_text(text(generate(stack, mode)), encoding="utf-8")
            print(f"wrote {path(stack, mode).relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
