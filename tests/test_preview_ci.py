"""The users' CI workflow (`.github/workflows/policy-preview.yml`): its shape, checked offline.

It can not run here (no GitHub, no AWS, no Pulumi CLI); these tests pin what makes it correct:
OIDC credentials, every stack of the repo in the matrix, the pack and its per-stack config handed
to pulumi/actions under the input names that action declares, and the credential-free job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.offline import REPO_ROOT, list_stacks

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "policy-preview.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _step(job: dict[str, Any], action: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if str(s.get("uses", "")).startswith(action))


def test_runs_on_pull_requests(workflow: dict[str, Any]) -> None:
    assert "pull_request" in workflow["on"]


def test_the_matrix_covers_every_stack_in_the_repo(workflow: dict[str, Any]) -> None:
    assert sorted(workflow["jobs"]["preview"]["strategy"]["matrix"]["stack"]) == list_stacks()


def test_credentials_come_from_oidc_not_stored_keys(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["preview"]
    assert job["permissions"]["id-token"] == "write"
    creds = _step(job, "aws-actions/configure-aws-credentials@")
    assert "role-to-assume" in creds["with"]
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(creds["with"])


def test_pulumi_preview_runs_the_pack_with_the_stacks_policy_config(
    workflow: dict[str, Any],
) -> None:
    job = workflow["jobs"]["preview"]
    pulumi = _step(job, "pulumi/actions@")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    # pulumi/actions' own input names (action.yml): policyPacks, policyPackConfigs.
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "out/policy-config.${{ matrix.stack }}.json"
    runs = [s.get("run", "") for s in job["steps"]]
    assert any("make policy-config STACK=${{ matrix.stack }}" in r for r in runs)
    order = [s.get("uses") or s.get("run") for s in job["steps"]]
    creds = _step(job, "aws-actions/configure-aws-credentials@")
    assert order.index(creds["uses"]) < order.index(pulumi["uses"])


def test_the_offline_job_needs_no_credentials_and_runs_tests_and_every_preview(
    workflow: dict[str, Any],
) -> None:
    job = workflow["jobs"]["offline"]
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "make test" in runs and "make preview-all" in runs
    assert "id-token" not in (job.get("permissions") or {})
    assert not any("configure-aws-credentials" in str(s.get("uses", "")) for s in job["steps"])
    assert "secrets." not in Path(WORKFLOW).read_text().split("  preview:")[0]
