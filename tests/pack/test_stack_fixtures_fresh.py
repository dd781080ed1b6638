"""The stored stacks of `tests/pack/fixtures/` are what the program registers today: the direct
tests of the pack's checks read them instead of running the program (stack_fixtures.py), so a
change to the program must be followed by `PYTHONPATH=policies .venv/bin/python -m
tests.pack.stack_fixtures`, or these tests fail."""

from __future__ import annotations

import pytest
import stack_fixtures

pytest.importorskip("tools.preview.engine")


@pytest.mark.parametrize("mode", stack_fixtures.MODES)
@pytest.mark.parametrize("stack", stack_fixtures.STACKS)
def test_fixture_is_what_the_program_registers(stack: str, mode: str) -> None:
    stored = stack_fixtures.path(stack, mode).read_text(encoding="utf-8")
    made = stack_fixtures.text(stack_fixtures.generate(stack, mode))
    assert made == stored, (
        f"{stack_fixtures.path(stack, mode).name} is stale: rewrite the fixtures with "
        "`PYTHONPATH=policies .venv/bin/python -m tests.pack.stack_fixtures`"
    )


def test_loaded_resources_keep_provider_protect_and_dependencies() -> None:
    resources, config = stack_fixtures.load("prod", "up")
    vault = next(r for r in resources if r.name == "cross-account-backup-vault")
    assert vault.protect is True
    assert vault.account == "222222222222"
    assert vault.region == "eu-central-1"
    assert vault.property_dependencies["kmsKeyArn"] == [
        "urn:pulumi:prod::cross-account-backup::cross-account-backup:index:CrossAccountBackup"
        "$aws:kms/key:Key::cross-account-backup-vault-key"
    ]
    assert vault.parent == (
        "urn:pulumi:prod::cross-account-backup::cross-account-backup:index:CrossAccountBackup"
        "::cross-account"
    )
    assert config["backup-vault-locked"]["requireComplianceMode"] is True
