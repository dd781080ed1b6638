"""The README's commands run as written: make targets, `./run`, set-up, the "Adding a stack" recipe.

These run make and bash as subprocesses, the way a user types them. GNU make's exit status is
0, 1 (with -q) or 2 whatever the failing command returned (GNU make manual, "Running make" >
"Exit status": "The exit status of make is always one of three values ... 2 if make encounters
any errors"), so the tool's own exit code is reached through `./run`, and these tests pin both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tools.preview.engine import REPO_ROOT, list_stacks

# A policy pack that rejects every vault: a mandatory violation, for which the preview exits 1.
OBJECTING_PACK = """\
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def no_vaults(args, report_violation):
    if args.resource_type == "aws:backup/vault:Vault":
        report_violation("test pack objects to every vault")


PolicyPack(
    name="objector",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name="no-vaults", description="No.", validate=no_vaults)],
)
"""


def sh(
    cmd: str, cwd: Path = REPO_ROOT, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """`cmd` in bash, as a user types it, with the test environment less `unset` plus `env`."""
    return subprocess.run(
        ["bash", "-c", cmd],
        cwd=cwd,
        env={**{k: v for k, v in os.environ.items() if k not in unset}, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_of_repo(dest: Path) -> Path:
    """The committed files of the repository (what a fresh clone has), plus the shared .venv."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = REPO_ROOT / name.decode()
        if src.is_file():  # a file deleted in the work tree but not yet committed is skipped
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name.decode())
    (dest / ".venv").symlink_to(REPO_ROOT / ".venv")
    return dest


@pytest.fixture
def objecting_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text(OBJECTING_PACK)
    return pack


# -- item 5: stdout is the tool's ---------------------------------------------------------------


def test_make_preview_json_piped_is_json() -> None:
    result = sh("make preview ARGS=--json | python3 -m json.tool > /dev/null && echo parsed")
    assert result.stdout.strip() == "parsed", result.stderr


def test_the_documented_redirect_into_out_works_on_a_fresh_clone(tmp_path: Path) -> None:
    repo = copy_of_repo(tmp_path / "clone")
    result = sh("./run preview --stack dev --json > out/dev.json", cwd=repo)
    assert result.returncode == 0, result.stderr
    doc = json.loads((repo / "out" / "dev.json").read_text())
    assert doc["summary"]["passed"] is True


# -- item 4: exit codes -------------------------------------------------------------------------


def test_make_turns_a_policy_violation_into_2(objecting_pack: Path) -> None:
    result = sh(f"make preview ARGS='--policy-pack {objecting_pack}' >/dev/null")
    assert result.returncode == 2
    assert "Error 1" in result.stderr  # make saw the tool's 1, and still exits 2


def test_run_keeps_the_tools_exit_code_for_a_policy_violation(objecting_pack: Path) -> None:
    result = sh(f"./run preview --stack dev --policy-pack {objecting_pack} >/dev/null")
    assert result.returncode == 1, result.stderr


def test_run_keeps_the_tools_exit_code_for_an_error() -> None:
    result = sh("./run preview --stack absent-stack-for-run-test")
    assert result.returncode == 2
    assert "unknown stack 'absent-stack-for-run-test'" in result.stderr


def test_run_refuses_an_unknown_tool_with_its_usage() -> None:
    result = sh("./run deploy")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: ./run {preview|verify|policy-config}")


# -- item 11: small frictions -------------------------------------------------------------------


def _makefile_targets() -> dict[str, str]:
    """target -> its `##` help, for every target with help."""
    text = (REPO_ROOT / "Makefile").read_text()
    return dict(re.findall(r"^([a-z-]+):[^\n]*?## (.*)$", text, re.M))


def test_make_help_lists_every_documented_target() -> None:
    result = sh("make help")
    assert result.returncode == 0
    listed = re.findall(r"^  make (\S+)", result.stdout, re.M)
    assert listed == list(_makefile_targets())
    assert {"setup", "test", "lint", "preview", "preview-all", "up", "verify"} <= set(listed)


def test_every_phony_target_has_a_rule() -> None:
    text = (REPO_ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY: (.*)$", text, re.M)
    assert phony
    rules = set(re.findall(r"^([a-z-]+):", text, re.M))
    assert set(phony.group(1).split()) - rules == set()


def test_make_up_without_the_pulumi_cli_says_what_to_install(tmp_path: Path) -> None:
    # A PATH with bash, make and the coreutils but no `pulumi`.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("bash", "make", "env", "sed", "grep", "cat"):
        found = shutil.which(tool)
        assert found, tool
        (bindir / tool).symlink_to(found)
    result = sh(f"{bindir}/make up STACK=dev", PATH=str(bindir))
    assert result.returncode == 2
    assert "'make up' needs the Pulumi CLI (pulumi) on PATH" in result.stderr
    assert "https://www.pulumi.com/docs/install/" in result.stderr
    assert "command not found" not in result.stderr


def test_preview_all_previews_every_stack_then_fails_naming_the_failed(tmp_path: Path) -> None:
    repo = copy_of_repo(tmp_path / "clone")
    # Sorted first, so a stop-at-first-failure loop would preview nothing else.
    (repo / "Pulumi.aaa-broken.yaml").write_text(
        "config:\n  cross-account-backup:backupPlan:\n    retentionDays: 0\n"
    )
    result = sh("make preview-all ARGS=--no-policy", cwd=repo)
    assert result.returncode == 2
    headings = re.findall(r"^== (\S+)$", result.stdout, re.M)
    assert headings == ["aaa-broken", *list_stacks()]
    assert result.stdout.count("Resources: + ") == len(list_stacks())
    assert "preview failed for: aaa-broken" in result.stderr


# -- item 3: the README's "Adding a stack" recipe ---------------------------------------------


# The tests that read the list of stacks (tests/preview/test_cli.py, tests/preview/test_ci.py).
STACK_LIST_TESTS = [
    "tests/preview/test_cli.py::test_unknown_stack_is_a_clear_error_listing_the_stacks",
    "tests/preview/test_cli.py::test_json_error_follows_the_schema",
    "tests/preview/test_ci.py::test_the_matrix_is_the_stack_list_that_the_stacks_job_prints",
]


def test_adding_a_stack_as_the_readme_says_keeps_the_stack_tests_green(tmp_path: Path) -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    recipe = re.search(r"### Adding a stack\n\n```bash\n(.*?)```", readme, re.S)
    assert recipe
    steps = [line.split("#")[0].strip() for line in recipe.group(1).splitlines()]
    assert steps[:2] == ["cp Pulumi.dev.yaml Pulumi.staging.yaml", "make preview STACK=staging"]
    repo = copy_of_repo(tmp_path / "clone")
    assert sh(steps[0], cwd=repo).returncode == 0
    preview = sh(steps[1], cwd=repo)  # "must exit 0"
    assert preview.returncode == 0, preview.stderr
    assert "Previewing update (staging)" in preview.stdout
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *STACK_LIST_TESTS],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{len(STACK_LIST_TESTS)} passed" in result.stdout


# -- items 1 and 2: set-up ----------------------------------------------------------------------


def test_requires_python_is_3_11_to_3_13_in_the_project_and_the_lock() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    assert project["requires-python"] == ">=3.11,<3.14"
    assert lock["requires-python"] == ">=3.11, <3.14"


def _externally_managed_python() -> Path | None:
    """Debian's /usr/bin/python3 when it carries PEP 668's EXTERNALLY-MANAGED marker."""
    python = Path("/usr/bin/python3")
    if not python.exists():
        return None
    stdlib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return python if stdlib and (Path(stdlib) / "EXTERNALLY-MANAGED").exists() else None


@pytest.mark.skipif(
    _externally_managed_python() is None, reason="no PEP 668 /usr/bin/python3 on this machine"
)
def test_setup_on_a_pep_668_python_installs_uv_privately(tmp_path: Path) -> None:
    # PEP 668: a pip install into this Python fails with externally-managed-environment; set-up
    # must leave it alone and put uv into .tools/ under the repo.
    repo = copy_of_repo(tmp_path / "clone")
    (repo / ".venv").unlink()  # a fresh clone: no environment yet
    path = ":".join(
        p
        for p in os.environ["PATH"].split(":")
        if not (Path(p) / "uv").exists() and ".pyenv" not in p
    )
    # A new user's shell: no uv, no pyenv, no virtualenv or uv settings of this test run.
    unset = ("VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "MAKEFLAGS", "MAKELEVEL")
    result = sh("make setup PYTHON=/usr/bin/python3", cwd=repo, unset=unset, PATH=path)
    assert result.returncode == 0, result.stderr
    assert "installing uv==" in result.stderr and "into .tools/" in result.stderr
    assert "externally-managed-environment" not in result.stderr
    assert (repo / ".tools" / "bin" / "uv").exists()
    version = subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "-c", "import sys, pulumi; print(sys.prefix)"],
        capture_output=True,
        text=True,
    )
    assert version.stdout.strip() == str(repo / ".venv")
    system_uv = subprocess.run(["/usr/bin/python3", "-c", "import uv"], capture_output=True)
    assert system_uv.returncode != 0  # nothing was installed into the system Python
