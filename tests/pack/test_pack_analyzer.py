"""`GuardAnalyzer` (policies/backup_guard/pack.py) answers exactly as pulumi-policy's own servicer.

The pack serves `GuardAnalyzer`, pulumi-policy's `_PolicyAnalyzerServicer` with `Analyze` and
`AnalyzeStack` converting each request once instead of once per policy, and not calling a Guard
policy on a resource type it does not judge. Its answers must be the library's, byte for byte:
here both servicers, built alike and configured alike, get the same requests (the stand-in stack,
preview and deployed, with every mutation of tests/pack/test_pack_grpc.py, with and without the
accounts in the policy config; probe policies for the library's other branches: not applicable,
can't run during preview, remediation only, awaitable, disabled and remediate levels), and their
responses are compared serialized.

pulumi-policy 1.21 `pulumi_policy/policy.py`, `_PolicyAnalyzerServicer.Analyze` / `AnalyzeStack`:
the reference the override copies.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pulumi_policy.policy
import pytest
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from test_pack_grpc import CONFIG, MUTATIONS, mutated, res

from backup_guard.pack import PACK_NAME, GuardAnalyzer, build_policies, use_guard_analyzer
from tools.preview.pack_client import UNKNOWN, PolicyPackProcess, _struct, standin_stack

Stack = list[dict[str, Any]]
LEVEL = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}


def _probe_policies() -> list[Policy]:
    """Policies outside the pack, for the branches the pack's own never take."""

    def every_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
        report(f"saw {args.resource_type} {args.name} {sorted(args.props)}")

    def not_applicable(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type == "aws:kms/key:Key":
            args.not_applicable("keys are not mine")
        report("applicable")

    def reads_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if "policy" in args.props:
            report(str(args.props["policy"])[:20])  # unknown in a preview: can't run

    async def awaitable(args: ResourceValidationArgs, report: ReportViolation) -> None:
        report(f"async {args.name}")

    def stack_count(args: StackValidationArgs, report: ReportViolation) -> None:
        linked = sum(1 for r in args.resources if r.parent is not None or r.dependencies)
        report(f"{len(args.resources)} resources, {linked} linked", args.resources[0].urn)

    return [
        ResourceValidationPolicy("probe-every-resource", "Every resource.", every_resource),
        ResourceValidationPolicy("probe-not-applicable", "Not for keys.", not_applicable),
        ResourceValidationPolicy("probe-reads-policy", "Reads a policy.", reads_policy),
        ResourceValidationPolicy("probe-async", "Awaitable.", awaitable),
        ResourceValidationPolicy(
            "probe-remediate-only", "No validate.", remediate=lambda args: None
        ),
        StackValidationPolicy("probe-stack", "The stack.", stack_count),
    ]


def _servicer(cls: type, config: dict[str, Any], probes: bool) -> Any:
    policies = build_policies() + (_probe_policies() if probes else [])
    servicer = cls(PACK_NAME, "0.0.1", policies, EnforcementLevel.ADVISORY)
    servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags={"env": "t"}), None)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, value in config.items():
        props = {k: v for k, v in value.items() if k != "enforcementLevel"}
        level = LEVEL[value.get("enforcementLevel", "advisory")]
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=_struct(props))
        )
    servicer.Configure(request, None)
    return servicer


def _answers(servicer: Any, stack: Stack) -> list[bytes]:
    client = PolicyPackProcess()  # not started: only builds the requests the CLI would send
    out = [
        servicer.Analyze(client.analyze_request(r), None).SerializeToString(deterministic=True)
        for r in stack
    ]
    stack_request = client.analyze_stack_request(stack)
    out.append(servicer.AnalyzeStack(stack_request, None).SerializeToString(deterministic=True))
    return out


def assert_same_answers(stack: Stack, config: dict[str, Any], *, probes: bool = False) -> None:
    library = _answers(_servicer(_PolicyAnalyzerServicer, config, probes), stack)
    guard = _answers(_servicer(GuardAnalyzer, config, probes), stack)
    assert guard == library


@pytest.mark.parametrize("configured", [False, True], ids=["inferred", "configured"])
@pytest.mark.parametrize(
    "mutation",
    [m[1] for m in MUTATIONS],
    ids=[m[0] for m in MUTATIONS],
)
def test_same_answers_as_pulumi_policy_on_each_mutation(
    mutation: Callable[[Stack], None], configured: bool
) -> None:
    stack = mutated(mutation)
    # Each mutation is rejected: the answers compared are not all empty.
    assert any(_answers(_servicer(GuardAnalyzer, CONFIG if configured else {}, False), stack))
    assert_same_answers(stack, CONFIG if configured else {})


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "deployed"])
def test_same_answers_as_pulumi_policy_with_probe_policies(preview: bool) -> None:
    stack = standin_stack(preview=preview)
    assert_same_answers(stack, CONFIG, probes=True)


def test_same_answers_with_unknown_policy_documents() -> None:
    # The library's "can't run policy ... during preview" diagnostic (UnknownValueError).
    stack = copy.deepcopy(standin_stack())
    res(stack, "backup-vault-policy")["properties"]["policy"] = UNKNOWN
    res(stack, "backup-vault-key")["properties"]["policy"] = UNKNOWN
    answers = _answers(_servicer(GuardAnalyzer, CONFIG, True), stack)
    assert any(b"during preview" in a for a in answers)
    assert_same_answers(stack, CONFIG, probes=True)


def test_same_answers_with_disabled_and_remediate_levels() -> None:
    config = {
        **CONFIG,
        "backup-vault-policy-grants-source": {"enforcementLevel": "disabled"},
        "backup-kms-key-rotation": {"enforcementLevel": "remediate"},
        "backup-copy-retention-within-vault-lock": {"enforcementLevel": "remediate"},
        "probe-every-resource": {"enforcementLevel": "disabled"},
        "probe-async": {"enforcementLevel": "remediate"},
    }
    stack = copy.deepcopy(standin_stack())
    res(stack, "backup-vault-key")["properties"]["enableKeyRotation"] = False
    res(stack, "backup-vault-policy")["properties"]["policy"] = "{}"
    answers = _answers(_servicer(GuardAnalyzer, config, True), stack)
    assert any(b"backup-kms-key-rotation" in a for a in answers)
    assert not any(b"backup-vault-policy-grants-source" in a for a in answers)
    assert_same_answers(stack, config, probes=True)


def test_guard_policies_are_not_called_on_types_they_do_not_judge() -> None:
    calls: list[str] = []
    policies = build_policies()
    for policy in policies:
        check = getattr(policy, "_resource_check", None)
        if check is not None:
            policy._resource_check = (  # type: ignore[attr-defined]
                lambda r, c, name=policy.name, check=check: calls.append(name) or check(r, c)
            )
    servicer = GuardAnalyzer(PACK_NAME, "0.0.1", policies, EnforcementLevel.ADVISORY)
    client = PolicyPackProcess()
    role = next(r for r in standin_stack() if r["type"] == "aws:iam/role:Role")
    key = next(r for r in standin_stack() if r["name"] == "backup-vault-key")
    servicer.Analyze(client.analyze_request(role), None)
    assert calls == []
    servicer.Analyze(client.analyze_request(key), None)
    assert calls == [
        "backup-vault-key-policy-grants-source",
        "backup-source-vault-key-grants-backup",
        "backup-policy-no-open-principal",
        "backup-vault-deletion-protected",
        "backup-kms-key-rotation",
    ]


def test_use_guard_analyzer_makes_policy_pack_serve_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # PolicyPack.__init__ builds `_PolicyAnalyzerServicer(...)` by its module-level name.
    monkeypatch.setattr(pulumi_policy.policy, "_PolicyAnalyzerServicer", _PolicyAnalyzerServicer)
    use_guard_analyzer()
    assert pulumi_policy.policy._PolicyAnalyzerServicer is GuardAnalyzer
