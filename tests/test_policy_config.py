"""`tools/policy_config.py`: the pack config derived from a stack file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tools.policy_config import ACCOUNT_POLICIES, PolicyConfigError, main, policy_config

REPO = Path(__file__).resolve().parent.parent


def stack_accounts(stack: str) -> tuple[str, str]:
    config = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    return (
        config["cross-account-backup:sourceAccount"]["accountId"],
        config["cross-account-backup:backupAccount"]["accountId"],
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cli_prints_the_accounts_of_the_stack_for_every_account_policy(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--stack", stack]) == 0
    config = json.loads(capsys.readouterr().out)
    source, backup = stack_accounts(stack)
    assert set(config) == set(ACCOUNT_POLICIES)
    for name in ACCOUNT_POLICIES:
        assert config[name]["sourceAccountIds"] == [source], name
        assert config[name]["backupAccountIds"] == [backup], name


def test_compliance_lock_requires_compliance_mode() -> None:
    assert policy_config("prod")["backup-vault-locked"]["requireComplianceMode"] is True
    assert policy_config("dev")["backup-vault-locked"]["requireComplianceMode"] is False


def test_unknown_stack_exits_2_naming_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no stack 'nope'" in err and "Pulumi.nope.yaml" in err and "dev, prod" in err


def _project(tmp_path: Path, config: dict) -> Path:
    (tmp_path / "Pulumi.x.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def test_missing_account_names_the_key(tmp_path: Path) -> None:
    project = _project(
        tmp_path, {"cross-account-backup:backupAccount": {"accountId": "222222222222"}}
    )
    with pytest.raises(PolicyConfigError) as e:
        policy_config("x", project)
    assert "`cross-account-backup:sourceAccount` is missing" in str(e.value)


def test_bad_account_id_names_the_key_and_value(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "cross-account-backup:sourceAccount": {"accountId": "111111111111"},
            "cross-account-backup:backupAccount": {"accountId": "2222"},
        },
    )
    with pytest.raises(PolicyConfigError) as e:
        policy_config("x", project)
    assert (
        "`cross-account-backup:backupAccount.accountId` must be a 12-digit string, got '2222'"
        in (str(e.value))
    )
