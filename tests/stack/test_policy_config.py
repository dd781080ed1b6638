"""`tools/stack/policy_config.py`: the pack config of a stack, read by the preview's own loader and
refused with the preview's own messages (issue 10, item 10)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tools.preview.run import PreviewError, preview
from tools.stack.config import load_stack_config
from tools.stack.policy_config import ACCOUNT_POLICIES, PolicyConfigError, main, policy_config
from tools.stack.project import list_stacks

REPO = Path(__file__).resolve().parents[2]


def stack_accounts(stack: str) -> tuple[str, str]:
    config = load_stack_config(stack)
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
    assert (source, backup) == ("111111111111", "222222222222")
    assert set(config) == set(ACCOUNT_POLICIES)
    for name in ACCOUNT_POLICIES:
        assert config[name]["sourceAccountIds"] == [source], name
        assert config[name]["backupAccountIds"] == [backup], name


def test_compliance_lock_requires_compliance_mode() -> None:
    assert policy_config("prod")["backup-vault-locked"]["requireComplianceMode"] is True
    assert policy_config("dev")["backup-vault-locked"]["requireComplianceMode"] is False


def test_unknown_stack_exits_2_naming_the_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    # Not a name the README's "Adding a stack" recipe would produce; the listing is whatever the
    # repo has (a user's new stack must not turn this red).
    assert main(["--stack", "no-such-stack"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "policy-config: unknown stack 'no-such-stack': there is no Pulumi.no-such-stack.yaml"
    )
    assert f"(stacks: {', '.join(list_stacks())})" in err


def _project(tmp_path: Path, stack_text: str) -> Path:
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.x.yaml").write_text(stack_text)
    return tmp_path


def test_a_missing_source_account_is_the_programs_message(tmp_path: Path) -> None:
    # Neither sourceAccount nor sourceAccounts is declared in Pulumi.yaml (either may be the one
    # set, issue 12), so the CLI lets a stack without them through and the program refuses it.
    project = _project(
        tmp_path,
        "config:\n  cross-account-backup:backupAccount:\n"
        '    accountId: "222222222222"\n'
        "    roleArn: arn:aws:iam::222222222222:role/d\n    region: eu-west-1\n",
    )
    with pytest.raises(PolicyConfigError) as e:
        policy_config("x", project)
    assert str(e.value) == (
        "invalid configuration: missing config cross-account-backup:sourceAccount: required: "
        "an object {accountId, roleArn, region[, externalId, sessionName]}, or sourceAccounts: "
        "a list of such objects (many workload accounts)"
    )


def test_an_unquoted_id_with_a_leading_zero_is_not_padded_but_refused(tmp_path: Path) -> None:
    text = (REPO / "Pulumi.dev.yaml").read_text().replace('"111111111111"', "012345670123")
    with pytest.raises(PolicyConfigError) as e:
        policy_config("x", _project(tmp_path, text))
    assert "sourceAccount.accountId = 012345670123 is unquoted" in str(e.value)
    assert "the octal number 1402433619" in str(e.value)
    assert 'Quote it: accountId: "012345670123"' in str(e.value)


def test_a_bad_value_is_refused_with_exactly_the_previews_message() -> None:
    overrides = {"backupAccount.accountId": "2222"}
    with pytest.raises(PolicyConfigError) as pack_error:
        policy_config("dev", overrides=overrides)
    with pytest.raises(PreviewError) as preview_error:
        preview("dev", pack_dir=None, config_overrides=overrides)
    assert preview_error.value.kind == "config"
    assert str(pack_error.value) == f"invalid configuration: {preview_error.value}"
    assert "cross-account-backup:backupAccount.accountId = '2222'" in str(pack_error.value)


def test_output_is_written_only_when_the_config_is_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "out" / "dev.json", tmp_path / "out" / "bad.json"
    assert main(["--stack", "dev", "--output", str(good)]) == 0
    assert json.loads(good.read_text()) == policy_config("dev")
    assert main(["--stack", "dev", "-c", "sourceAccount.accountId=abc", "--output", str(bad)]) == 2
    assert not bad.exists()
    assert sorted(p.name for p in good.parent.iterdir()) == ["dev.json"]  # no temporary left
    assert "sourceAccount.accountId = 'abc'" in capsys.readouterr().err
