"""The offline engine (`tools/preview/engine.py`): config loading, recording mocks, repeated runs.

Most tests run a tiny throwaway program written to `tmp_path`, so that they pin the engine's own
behaviour whatever the real program does; the last ones run the repo's stacks.
"""

from __future__ import annotations

import gc
import json
import textwrap
from pathlib import Path

import pytest

from tools.preview.engine import (
    PROGRAM_GC_THRESHOLD,
    UNKNOWN,
    StackNotFound,
    list_stacks,
    load_stack_config,
    run_stack,
    to_analyzer_resources,
)
from tools.stack.secrets import SECRET_PLACEHOLDER

TINY_PROJECT = """\
name: tiny
runtime: python
config:
  pulumi:disable-default-providers:
    value: [aws]
  tiny:account:
    type: string
    default: "111111111111"
  tiny:limits:
    type: object
    default: {days: 7}
"""

TINY_PROGRAM = """\
import json
import pulumi
import pulumi_aws as aws

cfg = pulumi.Config()
account = cfg.require("account")
limits = cfg.require_object("limits")
provider = aws.Provider("acct", region=cfg.require("region"), allowed_account_ids=[account])
opts = pulumi.ResourceOptions(provider=provider)
key = aws.kms.Key(
    "key",
    policy=json.dumps({"days": limits["days"]}),
    opts=pulumi.ResourceOptions(provider=provider, protect=True),
)
vault = aws.backup.Vault("vault", name="my-vault", kms_key_arn=key.arn, opts=opts)
role = aws.iam.Role(
    "role",
    assume_role_policy="{}",
    opts=pulumi.ResourceOptions(provider=provider, delete_before_replace=True),
)
caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider))
pulumi.export("vaultArn", vault.arn)
pulumi.export("vaultName", vault.name)
pulumi.export("keyArn", key.arn)
pulumi.export("roleArn", role.arn)
pulumi.export("caller", caller.account_id)
if cfg.get_bool("extraExport"):
    pulumi.export("extra", "only in this run")
if cfg.get_bool("strayResource"):
    aws.backup.Vault("stray", name="stray")
if cfg.get_bool("explode"):
    raise ValueError("invalid config tiny:explode: the user-facing message")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(TINY_PROJECT)
    (tmp_path / "Pulumi.dev.yaml").write_text(
        textwrap.dedent("""\
            config:
              tiny:account: "333333333333"
              region: eu-west-2
            """)
    )
    (tmp_path / "Pulumi.other.yaml").write_text(
        'config:\n  tiny:account: "444444444444"\n  tiny:region: us-west-2\n'
    )
    (tmp_path / "__main__.py").write_text(TINY_PROGRAM)
    return tmp_path


def test_stack_config_layers_project_defaults_under_the_stack_file(project: Path) -> None:
    config = load_stack_config("dev", project)
    assert config == {
        "pulumi:disable-default-providers": ["aws"],
        "tiny:account": "333333333333",  # stack file wins over the default
        "tiny:limits": {"days": 7},  # project default, decoded
        "tiny:region": "eu-west-2",  # un-namespaced key belongs to the project
    }


def test_unknown_stack_names_the_stacks_that_exist(project: Path) -> None:
    with pytest.raises(StackNotFound) as caught:
        load_stack_config("staging", project)
    assert "staging" in str(caught.value)
    assert "dev, other" in str(caught.value)
    assert list_stacks(project) == ["dev", "other"]


def test_an_encrypted_secret_runs_with_a_placeholder_in_the_program(project: Path) -> None:
    # `secure:` (pulumi/pulumi sdk/go/common/resource/config/object.go `isSecureValue`) can't be
    # decrypted offline: the program gets a placeholder and the key is one of its secret keys.
    (project / "Pulumi.sec.yaml").write_text(
        'config:\n  tiny:account: "555555555555"\n  tiny:region:\n    secure: AAAB\n'
    )
    run = run_stack("sec", project_dir=project)
    assert run.config["tiny:region"] == SECRET_PLACEHOLDER
    assert run.error is None and run.by_name("key").region == SECRET_PLACEHOLDER


def test_resources_get_the_account_and_region_of_their_provider(project: Path) -> None:
    run = run_stack("dev", project_dir=project)
    assert run.error is None
    key = run.by_name("key")
    assert key.account_id == "333333333333" and key.region == "eu-west-2"
    assert key.id and run.outputs["keyArn"] == f"arn:aws:kms:eu-west-2:333333333333:key/{key.id}"
    assert run.outputs["vaultArn"] == "arn:aws:backup:eu-west-2:333333333333:backup-vault:my-vault"
    assert run.outputs["roleArn"].startswith("arn:aws:iam::333333333333:role/role-")
    assert run.outputs["caller"] == "333333333333"


def test_registrations_are_recorded_in_order_with_provider_options_and_dependencies(
    project: Path,
) -> None:
    run = run_stack("dev", project_dir=project)
    names = [r.name for r in run.resources]
    # Registration order: the vault waits for the key's ARN, so the role may overtake it.
    assert sorted(names) == ["acct", "key", "role", "vault"]
    assert names[0] == "acct" and names.index("key") < names.index("vault")
    provider, key, vault = run.by_name("acct"), run.by_name("key"), run.by_name("vault")
    assert provider.urn == "urn:pulumi:dev::tiny::pulumi:providers:aws::acct"
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["333333333333"]
    assert key.urn == "urn:pulumi:dev::tiny::aws:kms/key:Key::key"
    assert key.provider_urn == provider.urn
    assert key.options["protect"] is True and vault.options["protect"] is False
    assert vault.property_dependencies == {"kmsKeyArn": [key.urn]}
    assert json.loads(key.inputs["policy"]) == {"days": 7}  # ints pass through the config


def test_ids_and_arns_are_stable_from_run_to_run(project: Path) -> None:
    first = run_stack("dev", project_dir=project)
    second = run_stack("dev", project_dir=project)
    assert first.outputs == second.outputs
    # By URN: registration order follows the event loop's scheduling, which may differ between
    # runs (seen on Python 3.13 under load); each resource's id may not.
    assert {r.urn: r.id for r in first.resources} == {r.urn: r.id for r in second.resources}
    assert len(first.resources) == len(second.resources)


def test_a_preview_leaves_computed_values_unknown_like_pulumi_preview(project: Path) -> None:
    run = run_stack("dev", preview=True, project_dir=project)
    assert run.error is None
    assert run.outputs["vaultArn"] == UNKNOWN
    assert run.outputs["vaultName"] == "my-vault"  # an input is known in a preview
    vault = run.by_name("vault")
    assert vault.inputs["kmsKeyArn"] == UNKNOWN  # depends on the key's ARN
    assert vault.id is None


def test_runs_of_different_stacks_in_one_process_do_not_leak_into_each_other(
    project: Path,
) -> None:
    dev = run_stack("dev", project_dir=project)
    other = run_stack("other", preview=True, project_dir=project)
    dev_again = run_stack("dev", project_dir=project)
    assert other.by_name("key").account_id == "444444444444"
    assert other.by_name("key").urn.startswith("urn:pulumi:other::tiny::")
    assert len(other.resources) == len(dev.resources) == len(dev_again.resources) == 4
    assert dev_again.outputs == dev.outputs


def test_a_runs_exports_do_not_survive_into_the_next_run(project: Path) -> None:
    first = run_stack("dev", project_dir=project, config_overrides={"extraExport": True})
    second = run_stack("dev", project_dir=project)
    assert first.outputs["extra"] == "only in this run"
    assert "extra" not in second.outputs


def test_default_provider_is_refused_when_the_project_disables_it(project: Path) -> None:
    run = run_stack("dev", project_dir=project, config_overrides={"strayResource": True})
    assert run.error is not None
    assert "Default provider for 'aws' disabled" in str(run.error)
    # The run after a failure starts clean: nothing left pending from the failed one.
    clean = run_stack("dev", project_dir=project)
    assert clean.error is None
    assert sorted(r.name for r in clean.resources) == ["acct", "key", "role", "vault"]


def test_the_programs_own_error_is_returned_not_raised(project: Path) -> None:
    run = run_stack("dev", project_dir=project, config_overrides={"tiny:explode": True})
    assert isinstance(run.error, ValueError)
    assert str(run.error) == "invalid config tiny:explode: the user-facing message"


@pytest.mark.parametrize("explode", [False, True], ids=["ok", "program-error"])
def test_the_collector_runs_less_often_during_the_program_only(
    project: Path, explode: bool
) -> None:
    # `_fewer_collections`: the program sees the raised first threshold (it runs in the project
    # directory); the caller's thresholds are back afterwards, also when the program failed.
    main = project / "__main__.py"
    probe = "import gc, json\nopen('gc.json', 'w').write(json.dumps(gc.get_threshold()))\n"
    main.write_text(probe + main.read_text())
    before = gc.get_threshold()
    run = run_stack("dev", project_dir=project, config_overrides={"tiny:explode": explode})
    assert (run.error is not None) is explode
    assert json.loads((project / "gc.json").read_text()) == [PROGRAM_GC_THRESHOLD, *before[1:]]
    assert gc.get_threshold() == before


def test_config_override_none_removes_the_stack_value_so_the_default_applies(
    project: Path,
) -> None:
    # Like `pulumi config rm`: the stack no longer sets it, the project default applies
    # (pulumi/pulumi pkg/workspace/config.go `mergeConfig`).
    run = run_stack("dev", project_dir=project, config_overrides={"account": None})
    assert run.error is None and run.config["tiny:account"] == "111111111111"
    assert run.by_name("key").account_id == "111111111111"


def test_config_override_none_of_a_key_without_default_leaves_it_unset(project: Path) -> None:
    run = run_stack("dev", project_dir=project, config_overrides={"region": None})
    assert "tiny:region" not in run.config
    assert run.error is not None and "tiny:region" in str(run.error)


def test_analyzer_resources_carry_unknowns_provider_and_dependencies(project: Path) -> None:
    run = run_stack("dev", preview=True, project_dir=project)
    resources = {r["name"]: r for r in to_analyzer_resources(run)}
    vault = resources["vault"]
    assert vault["type"] == "aws:backup/vault:Vault"
    assert vault["properties"] == {"name": "my-vault", "kmsKeyArn": UNKNOWN}
    assert vault["provider"]["name"] == "acct"
    assert vault["provider"]["type"] == "pulumi:providers:aws"
    assert vault["propertyDependencies"] == {"kmsKeyArn": [resources["key"]["urn"]]}
    assert resources["key"]["options"]["protect"] is True
    # Like the engine's deleteBeforeReplaceDefined: present only where the program set it.
    assert resources["role"]["options"]["deleteBeforeReplace"] is True
    assert "deleteBeforeReplace" not in resources["vault"]["options"]
    assert resources["acct"]["provider"] is None


# -- the repo's own stacks ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_repo_stacks_deploy_to_both_accounts(stack: str) -> None:
    run = run_stack(stack)
    assert run.error is None, run.error
    accounts = {r.account_id for r in run.resources if r.custom and not r.is_provider}
    config = run.config
    source = config["cross-account-backup:sourceAccount"]["accountId"]
    backup = config["cross-account-backup:backupAccount"]["accountId"]
    assert {source, backup} <= accounts
    assert run.outputs["backupVaultArn"].startswith(
        f"arn:aws:backup:{config['cross-account-backup:backupAccount']['region']}:{backup}:"
    )
