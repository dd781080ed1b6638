"""Stack config with encrypted secrets: read through the Pulumi CLI (issue 10 item 6, verify side).

A fake `pulumi` executable on PATH prints what `pulumi config --show-secrets --json` prints:
pulumi/pulumi pkg/cmd/pulumi/config/config.go `configValueJSON` ({"value", "objectValue",
"secret"}, keyed by the fully qualified key; `listConfig` adds the project's defaults).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tools.verify.inputs import InputError, load_settings
from tools.verify.secrets import secure_keys

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL_ID = "example-external-id"
CIPHERTEXT = "v1:Zm9vYmFy:ZXhhbXBsZSBjaXBoZXJ0ZXh0"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The dev stack with sourceAccount.externalId encrypted (`pulumi config set --secret
    --path sourceAccount.externalId ...` writes it nested, as `secure:`)."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    text = text.replace(
        "    roleArn: arn:aws:iam::111111111111:role/backup-deployer\n",
        "    roleArn: arn:aws:iam::111111111111:role/backup-deployer\n"
        f"    externalId:\n      secure: {CIPHERTEXT}\n",
        1,
    )
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    return tmp_path


def _cli_output() -> dict[str, object]:
    source = {
        "accountId": "111111111111",
        "roleArn": "arn:aws:iam::111111111111:role/backup-deployer",
        "region": "eu-west-1",
        "externalId": EXTERNAL_ID,
    }
    backup = {
        "accountId": "222222222222",
        "roleArn": "arn:aws:iam::222222222222:role/backup-deployer",
        "region": "eu-west-1",
    }
    plan = {"schedule": "cron(0 5 ? * * *)", "retentionDays": 7, "copyRetentionDays": 14}
    lock = {"mode": "governance", "minRetentionDays": 1, "maxRetentionDays": 365}

    def obj(value: object, secret: bool = False) -> dict[str, object]:
        return {"value": json.dumps(value), "objectValue": value, "secret": secret}

    return {
        "cross-account-backup:sourceAccount": obj(source, secret=True),
        "cross-account-backup:backupAccount": obj(backup),
        "cross-account-backup:backupPlan": obj(plan),
        "cross-account-backup:vaultLock": obj(lock),
        "aws:region": {"value": "eu-west-1", "secret": False},
    }


def _fake_pulumi(bin_dir: Path, *, stdout: str, exit_code: int = 0) -> Path:
    """A `pulumi` that records its arguments and prints `stdout`."""
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "out.json").write_text(stdout)
    script = bin_dir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{bin_dir}/args"\n'
        f'cat "{bin_dir}/out.json"\n'
        + (f'echo "error: decrypting: bad passphrase" >&2\nexit {exit_code}\n' if exit_code else "")
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def test_secure_values_are_found_nested(repo: Path) -> None:
    assert secure_keys(repo, "dev") == ["cross-account-backup:sourceAccount"]
    assert secure_keys(ROOT, "dev") == []


def test_secret_config_is_read_through_the_pulumi_cli(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _fake_pulumi(tmp_path / "bin", stdout=json.dumps(_cli_output()))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    settings = load_settings(repo, "dev")
    assert settings.source.external_id == EXTERNAL_ID
    assert settings.copy_retention_days == 14
    assert (bin_dir / "args").read_text().split() == [
        "config",
        "--show-secrets",
        "--json",
        "--stack",
        "dev",
    ]


def test_secret_config_without_the_cli_says_so(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(InputError) as raised:
        load_settings(repo, "dev")
    message = str(raised.value)
    assert "Pulumi.dev.yaml has encrypted secrets (cross-account-backup:sourceAccount)" in message
    assert "only the Pulumi CLI can decrypt them, and `pulumi` is not on PATH" in message


def test_cli_failing_to_decrypt_is_reported(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = _fake_pulumi(tmp_path / "bin", stdout="", exit_code=255)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(InputError) as raised:
        load_settings(repo, "dev")
    assert "failed (exit 255): error: decrypting: bad passphrase" in str(raised.value)


def test_a_secret_the_cli_did_not_decrypt_is_refused(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without --show-secrets the CLI elides `value` of a secret (config.go listConfig).
    output = _cli_output()
    output["cross-account-backup:sourceAccount"] = {"secret": True}
    bin_dir = _fake_pulumi(tmp_path / "bin", stdout=json.dumps(output))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(InputError, match="cross-account-backup:sourceAccount has no value"):
        load_settings(repo, "dev")
