"""The users' CI workflow (`.github/workflows/policy-preview.yml`): its shape, checked offline.

It can not run here (no GitHub, no AWS, no Pulumi CLI); these tests pin what makes it correct:
OIDC credentials, every stack of the repo in the matrix (listed by a job, so a stack added by the
README's recipe needs no edit here), the pack and its per-stack config handed to pulumi/actions
under the input names that action declares, the credential-free job on every supported Python,
and what makes it safe to adopt: actions pinned by commit SHA, no persisted checkout credentials,
least permissions per job, and zizmor's audits passing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.preview.engine import REPO_ROOT, list_stacks

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


def test_the_matrix_is_the_stack_list_that_the_stacks_job_prints(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    preview = workflow["jobs"]["preview"]
    assert "stacks" in preview["needs"]
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    job = workflow["jobs"]["stacks"]
    assert job["outputs"]["stacks"] == "${{ steps.list.outputs.stacks }}"
    # Run the listing step as the runner would (bash, repo root, $GITHUB_OUTPUT a file).
    step = next(s for s in job["steps"] if s.get("id") == "list")
    out = tmp_path / "github_output"
    subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step["run"]],
        cwd=REPO_ROOT,
        env={**os.environ, "GITHUB_OUTPUT": str(out)},
        check=True,
        timeout=30,
    )
    key, _, value = out.read_text().strip().partition("=")
    assert key == "stacks"
    assert sorted(yaml.safe_load(value)) == list_stacks()


def test_the_offline_job_runs_on_every_supported_python(workflow: dict[str, Any]) -> None:
    # pyproject.toml's requires-python is ">=3.11,<3.14": 3.11, 3.12 and 3.13.
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert requires["requires-python"] == ">=3.11,<3.14"
    job = workflow["jobs"]["offline"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    setup = _step(job, "astral-sh/setup-uv@")
    assert setup["with"]["python-version"] == "${{ matrix.python }}"


def _all_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


def test_every_action_is_pinned_by_a_full_commit_sha(workflow: dict[str, Any]) -> None:
    uses = [s["uses"] for s in _all_steps(workflow) if "uses" in s]
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref


def test_pulumi_actions_is_the_node24_major(workflow: dict[str, Any]) -> None:
    # pulumi/actions v7.0.0 (8e5e406f...) action.yml: `runs: using: 'node24'`; v6 ran on node20.
    line = next(x for x in WORKFLOW.read_text().splitlines() if "uses: pulumi/actions@" in x)
    assert line.split("@")[1] == "8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0"


def test_checkout_never_persists_credentials(workflow: dict[str, Any]) -> None:
    checkouts = [
        s for s in _all_steps(workflow) if s.get("uses", "").startswith("actions/checkout@")
    ]
    assert len(checkouts) == len(workflow["jobs"])
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_permissions_are_none_by_default_and_granted_per_job(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}
    perms = {name: job["permissions"] for name, job in workflow["jobs"].items()}
    assert perms == {
        "offline": {"contents": "read"},
        "stacks": {"contents": "read"},
        "preview": {"contents": "read", "id-token": "write", "pull-requests": "write"},
    }


def test_no_expression_is_expanded_inside_a_run_script(workflow: dict[str, Any]) -> None:
    # `${{ }}` in `run:` is pasted into the script before bash reads it (template injection);
    # values reach scripts through `env:` instead.
    runs = [s["run"] for s in _all_steps(workflow) if "run" in s]
    assert not [r for r in runs if "${{" in r]


def test_zizmor_finds_nothing_offline() -> None:
    # zizmor --offline: no GitHub API calls (the online audits need a token and the network).
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "zizmor"),
            "--offline",
            "--no-progress",
            "--persona",
            "auditor",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


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
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    runs = [s.get("run", "") for s in job["steps"]]
    assert any('make policy-config STACK="$STACK"' in r for r in runs)
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
