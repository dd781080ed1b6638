"""The pack as the CLI runs it (a process over gRPC), on the real program's dev and prod plans
(`tools.preview.engine`), in both modes (configured with `sourceAccountIds`/`backupAccountIds`, and
inferred from the stack): where copies go and whether they can get there (issue 9 item 3,
issue 8 item 8), and the condition keys the evaluator decides (issue 9 items 1-2).

Sources: AWS Backup "Copy a backup" (recov-point-create-a-copy.html: RDS/Aurora copy
cross-account or cross-Region, not both; cold-storage backups cannot be copied);
PutBackupVaultLockConfiguration (a job outside the lock's min/max fails); IAM "Global condition
context keys" and "Condition operators"; AWS KMS "Key policies".
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tools.preview import engine
from tools.preview.pack_client import Diagnostic, PolicyPackProcess
from tools.stack.policy_config import ACCOUNT_POLICIES, policy_config

SRC, BAK = "111111111111", "222222222222"
ORG = "o-abcdefghij"
Stack = list[dict[str, Any]]
GRANTS = "backup-vault-policy-grants-source"
KNOWN = "backup-copy-destination-known"
LOCK = "backup-copy-retention-within-vault-lock"
BOTH = "backup-copy-cross-region-and-account"
COLD = "backup-copy-cold-storage-closes-copy-back"
COPY_DOC = "https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html"
#: The first rule of each stack's plan: dev has the single-rule form, prod daily + monthly.
FIRST_RULE = {"dev": "backup-and-copy-to-backup-account", "prod": "daily"}


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess() as p:
        yield p


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, bool], Stack]:
    out = {}
    for stack in ("dev", "prod"):
        for preview in (True, False):
            run = engine.run_stack(stack, preview=preview)
            assert run.ok, run.error
            out[(stack, preview)] = engine.to_analyzer_resources(run)
    return out


def real(runs: dict[tuple[str, bool], Stack], stack: str, preview: bool = True) -> Stack:
    return copy.deepcopy(runs[(stack, preview)])


def of_type(stack: Stack, type_: str, name_part: str = "") -> dict[str, Any]:
    return next(r for r in stack if r["type"] == type_ and name_part in r["name"])


def copy_action(stack: Stack) -> dict[str, Any]:
    action: dict[str, Any] = of_type(stack, "aws:backup/plan:Plan")["properties"]["rules"][0][
        "copyActions"
    ][0]
    return action


def lock(stack: Stack) -> dict[str, Any]:
    props: dict[str, Any] = of_type(
        stack, "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
    )["properties"]
    return props


def config(stack_name: str, configured: bool, **extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = copy.deepcopy(policy_config(stack_name)) if configured else {}
    for name, values in extra.items():
        out.setdefault(name.replace("_", "-"), {}).update(values)
    return out


def judge(pack: PolicyPackProcess, stack: Stack, cfg: dict[str, Any]) -> list[Diagnostic]:
    pack.configure(cfg)
    return pack.analyze_all(stack)


def lines(diags: list[Diagnostic], policy: str) -> list[str]:
    return [d.message.splitlines()[-1] for d in diags if d.policy_name == policy]


def mandatory(diags: list[Diagnostic]) -> set[str]:
    return {d.policy_name for d in diags if d.mandatory}


STACKS = pytest.mark.parametrize("stack_name", ["dev", "prod"])
MODES = pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])


# ---------------------------------------------------------------------------------------------
# backup-copy-destination-known


@STACKS
@MODES
def test_copy_to_a_vault_the_stack_does_not_build_is_rejected(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    action = copy_action(stack)
    action["destinationVaultArn"] += "-elsewhere"
    diags = judge(pack, stack, config(stack_name, configured))
    assert KNOWN in mandatory(diags)
    assert lines(diags, KNOWN) == [
        f"plan `cross-account-plan` rule '{FIRST_RULE[stack_name]}' copies to "
        f"{action['destinationVaultArn']}, a vault this stack does not build: none of its grants "
        "were checked and nothing here makes sure it exists. Build it in this stack, or list its "
        "ARN in the policy config externalCopyDestinations if it is managed elsewhere"
    ]


@STACKS
@MODES
def test_copy_to_a_region_where_the_backup_account_has_no_vault_is_rejected(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    action = copy_action(stack)
    region = action["destinationVaultArn"].split(":")[3]
    action["destinationVaultArn"] = action["destinationVaultArn"].replace(region, "us-east-2")
    diags = judge(pack, stack, config(stack_name, configured))
    assert KNOWN in mandatory(diags)
    (line,) = lines(diags, KNOWN)
    assert line.endswith(
        f"but this stack builds vault '{action['destinationVaultArn'].rsplit(':', 1)[1]}' of "
        f"account {BAK} in {region}, not in us-east-2: the copy job fails (no such vault in that "
        "region)"
    )


@STACKS
def test_copy_to_another_partition_is_rejected_by_analyze_alone(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str
) -> None:
    stack = real(runs, stack_name)
    action = copy_action(stack)
    action["destinationVaultArn"] = action["destinationVaultArn"].replace("arn:aws:", "arn:aws-cn:")
    pack.configure(config(stack_name, True))
    plan = of_type(stack, "aws:backup/plan:Plan")
    diags = pack.analyze(plan)
    assert KNOWN in mandatory(diags)
    (line,) = lines(diags, KNOWN)
    assert "in partition aws-cn, but the plan runs in eu-west-1 (partition aws)" in line


@STACKS
@MODES
def test_external_copy_destination_is_the_escape_hatch(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    action = copy_action(stack)
    action["destinationVaultArn"] += "-managed-elsewhere"
    without = judge(pack, stack, config(stack_name, configured))
    assert KNOWN in mandatory(without)
    escape = {"externalCopyDestinations": [action["destinationVaultArn"]]}
    with_hatch = judge(pack, stack, config(stack_name, configured, **{KNOWN: escape}))
    assert lines(with_hatch, KNOWN) == []


def test_external_copy_destinations_schema_refuses_a_non_vault_arn(
    pack: PolicyPackProcess,
) -> None:
    info = {p["name"]: p for p in pack.get_info()["policies"]}
    schema = info[KNOWN]["configSchema"]["properties"]["externalCopyDestinations"]
    assert schema["items"]["pattern"] == (
        "^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:.+$"
    )


# ---------------------------------------------------------------------------------------------
# backup-copy-retention-within-vault-lock


@STACKS
@MODES
def test_copy_retention_below_the_lock_minimum_is_rejected(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    keeps = copy_action(stack)["lifecycle"]["deleteAfter"]
    lock(stack)["minRetentionDays"] = keeps + 1
    diags = judge(pack, stack, config(stack_name, configured))
    assert LOCK in mandatory(diags)
    (line,) = lines(diags, LOCK)
    assert line.startswith(
        f"plan `cross-account-plan` rule '{FIRST_RULE[stack_name]}' copy to "
        f"{copy_action(stack)['destinationVaultArn']} keeps recovery points {keeps:g} days in "
        "vault `cross-account-backup-vault` (lock "
        f'`cross-account-backup-vault-lock`), whose minRetentionDays is {keeps + 1:g}: "if the '
        "job's retention period is shorter than that minimum retention period, then the vault "
        'fails that backup or copy job"'
    )


@STACKS
@MODES
def test_copy_retention_above_the_lock_maximum_is_rejected(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    keeps = copy_action(stack)["lifecycle"]["deleteAfter"]
    lock(stack).update(minRetentionDays=1, maxRetentionDays=keeps - 1)
    diags = judge(pack, stack, config(stack_name, configured))
    assert LOCK in mandatory(diags)
    # prod's monthly copies are kept longer still: judge the first rule's line.
    (line,) = [m for m in lines(diags, LOCK) if f"rule '{FIRST_RULE[stack_name]}'" in m]
    assert f"whose maxRetentionDays is {keeps - 1:g}: the vault fails a job" in line


@STACKS
@MODES
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_real_copies_fit_their_lock(
    pack: PolicyPackProcess,
    runs: dict[tuple[str, bool], Stack],
    stack_name: str,
    configured: bool,
    preview: bool,
) -> None:
    diags = judge(pack, real(runs, stack_name, preview), config(stack_name, configured))
    assert lines(diags, LOCK) == [] and lines(diags, KNOWN) == []


# ---------------------------------------------------------------------------------------------
# Copies that can't go where the plan sends them (prod does both)


@MODES
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_prod_verdict_names_both_limits_with_the_doc(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], configured: bool, preview: bool
) -> None:
    diags = judge(pack, real(runs, "prod", preview), config("prod", configured))
    assert mandatory(diags) == set()
    assert {d.enforcement_level for d in diags} == {"advisory"}
    assert lines(diags, BOTH) == [
        f"plan `cross-account-plan` rule '{rule}' copies from "
        f"{SRC} in eu-west-1 to {BAK} in eu-central-1: cross-account and cross-Region in one "
        "copy job. AWS Backup does that for most resource types, but for Amazon RDS and Aurora "
        "snapshots only one or the other (and Multi-AZ DB cluster snapshots not at all): copies "
        "of such resources selected by this plan fail. Keep those in a plan that copies to the "
        "backup account's region of the source, or copy in two steps (AWS Backup, \"Copy a "
        f'backup", {COPY_DOC})'
        for rule in ("daily", "monthly")
    ]
    # Only prod's monthly copies move to cold storage (Pulumi.prod.yaml).
    assert lines(diags, COLD) == [
        "plan `cross-account-plan` rule 'monthly' moves its copies in "
        f"arn:aws:backup:eu-central-1:{BAK}:backup-vault:cross-account-backup-prod-copies to cold "
        'storage after 90 days: "backups in cold storage or archive tiers cannot be copied" (AWS '
        f'Backup, "Copy a backup", {COPY_DOC}), so from day 90 a copy can no longer be copied '
        "back into the source account, the only way to restore it there (there is no "
        "cross-account restore)"
    ]


@MODES
def test_dev_copies_in_its_region_without_cold_storage_raise_neither(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], configured: bool
) -> None:
    diags = judge(pack, real(runs, "dev"), config("dev", configured))
    assert lines(diags, BOTH) == [] and lines(diags, COLD) == []


# ---------------------------------------------------------------------------------------------
# Conditions the evaluator decides, end to end


def _vault_policy(stack: Stack) -> dict[str, Any]:
    return of_type(stack, "aws:backup/vaultPolicy:VaultPolicy", "backup-vault")


def _edit(resource: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(resource["properties"]["policy"])
    edit(doc)
    resource["properties"]["policy"] = json.dumps(doc)


def _condition_on_grant(condition: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["Statement"][0]["Condition"] = condition

    return edit


def _org_config(stack_name: str, configured: bool, org: str | None) -> dict[str, Any]:
    extra = {name: {"organizationId": org} for name in ACCOUNT_POLICIES} if org else {}
    return config(stack_name, configured, **extra)


@STACKS
@MODES
@pytest.mark.parametrize(
    ("org", "verdict"),
    [(None, "needs the pack's organizationId config"), (ORG, None), ("o-zzzzzzzzzz", "no")],
    ids=["no-config", "same-org", "other-org"],
)
def test_org_id_condition_is_decided_with_organization_id(
    pack: PolicyPackProcess,
    runs: dict[tuple[str, bool], Stack],
    stack_name: str,
    configured: bool,
    org: str | None,
    verdict: str | None,
) -> None:
    stack = real(runs, stack_name)
    _edit(_vault_policy(stack), _condition_on_grant({"StringEquals": {"aws:PrincipalOrgID": ORG}}))
    diags = judge(pack, stack, _org_config(stack_name, configured, org))
    found = lines(diags, GRANTS)
    if verdict is None:
        assert found == []
    else:
        assert len(found) == 1 and verdict in found[0], found
        assert "(not proof)" not in found[0]


@STACKS
@MODES
def test_deny_outside_the_organization_never_hits_the_source(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    guard = {
        "Sid": "DenyOutsideOrg",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
        "Condition": {"Null": {"aws:PrincipalOrgID": "true"}},
    }
    _edit(_vault_policy(stack), lambda d: d["Statement"].append(guard))
    diags = judge(pack, stack, config(stack_name, configured))
    assert lines(diags, GRANTS) == []


@STACKS
@MODES
def test_grant_that_expires_is_rejected_with_its_date(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    expiring = {"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}
    _edit(_vault_policy(stack), _condition_on_grant(expiring))
    diags = judge(pack, stack, config(stack_name, configured))
    assert GRANTS in mandatory(diags)
    (line,) = lines(diags, GRANTS)
    assert "its condition holds only until 2099-01-01T00:00:00Z" in line
    assert "every copy from then on fails" in line


@STACKS
@MODES
def test_key_policy_naming_its_own_arn_passes_during_preview(
    pack: PolicyPackProcess, runs: dict[tuple[str, bool], Stack], stack_name: str, configured: bool
) -> None:
    stack = real(runs, stack_name)
    key = of_type(stack, "aws:kms/key:Key", "backup-vault-key")
    arn_region = copy_action(stack)["destinationVaultArn"].split(":")[3]
    own = f"arn:aws:kms:{arn_region}:{BAK}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def name_own_arn(doc: dict[str, Any]) -> None:
        for statement in doc["Statement"]:
            statement["Resource"] = own

    _edit(key, name_own_arn)
    diags = judge(pack, stack, config(stack_name, configured))
    assert "backup-vault-key-policy-grants-source" not in mandatory(diags), [
        d.message for d in diags if d.mandatory
    ]


@STACKS
@MODES
@pytest.mark.parametrize(
    ("pattern", "verdict"),
    [
        (f"arn:aws:iam::{SRC}:*", None),
        (
            f"arn:aws:iam::{SRC}:role/backup",
            f"grants it only to the principals of {SRC} whose aws:PrincipalArn matches "
            f"arn:aws:iam::{SRC}:role/backup, not to the account {SRC}",
        ),
    ],
    ids=["every-principal-of-the-source", "one-role"],
)
def test_principal_arn_condition_is_decided_for_the_source_account(
    pack: PolicyPackProcess,
    runs: dict[tuple[str, bool], Stack],
    stack_name: str,
    configured: bool,
    pattern: str,
    verdict: str | None,
) -> None:
    # IAM "Global condition context keys", aws:PrincipalArn: every principal of the source
    # account has an ARN arn:aws:iam::SRC:...; a pattern naming one role covers only it.
    stack = real(runs, stack_name)

    def to_anyone_with_arn(doc: dict[str, Any]) -> None:
        doc["Statement"][0]["Principal"] = {"AWS": "*"}
        doc["Statement"][0]["Condition"] = {"ArnLike": {"aws:PrincipalArn": pattern}}

    _edit(_vault_policy(stack), to_anyone_with_arn)
    diags = judge(pack, stack, config(stack_name, configured))
    assert "backup-policy-no-open-principal" not in mandatory(diags)
    found = lines(diags, GRANTS)
    if verdict is None:
        assert found == []
    else:
        assert len(found) == 1 and verdict in found[0], found
