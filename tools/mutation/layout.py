"""Lay out the working copy mutmut runs in: mutated modules under the names the tests import.

    out/mutation/
      backup_guard/           <- policies/backup_guard/ (imported as `backup_guard`)
      components/             <- components/ (the config model — config.py, the facade, and
                                 settings/, where its parsing lives — and documents.py are mutated)
      tools/, Pulumi*.yaml    <- read by the test helpers (stack configs), never mutated
      tests/                  <- the Pulumi-free tests (no gRPC pack process, no program run),
                                 and tests/fixtures/ (stored stacks: tests/pack/stack_fixtures.py)
      pyproject.toml          <- [tool.mutmut] + [tool.pytest.ini_options] for this copy

Only the Pulumi-free tests run: the gRPC tests start the pack as a separate process and the
program tests run the Pulumi runtime, which is not fork-safe and takes seconds per test.
`pack.py` (the glue to pulumi_policy, tested only over gRPC) is therefore not mutated.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
WORK_DIR = REPO_ROOT / "out" / "mutation"

#: What mutmut mutates, as paths of the working copy.
MUTATED = [
    "backup_guard/",
    "components/config.py",
    "components/settings/",
    "components/documents.py",
]
#: Not mutated: only the gRPC tests (a pack process) can kill mutants of the pulumi_policy glue.
NOT_MUTATED = ["backup_guard/pack.py"]

#: Copied next to the mutants, unchanged: the test helpers read stack configs through tools/.
ALSO_COPY = ["tools/", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]

#: The fast tests that need neither the Pulumi runtime nor a pack process, and their helpers.
TEST_FILES = [
    "iam_tables.py",
    "rule_tables.py",
    "harness.py",
    "config_messages.py",
    "stack_fixtures.py",
    "test_config.py",
    "test_documents.py",
    "test_iam_conditions.py",
    "test_iam_eval.py",
    "test_iam_eval_conditions.py",
    "test_iam_eval_context.py",
    "test_iam_parse.py",
    "test_policy_rules_iam.py",
    "test_policy_rules.py",
]
TEST_GLOBS = ["test_pins_*.py"]
#: Tests of the checkout itself, meaningless in the copy (they look for `policies/`).
DESELECT = ["tests/test_policy_rules.py::test_rules_and_evaluator_import_no_pulumi"]


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _unmutated_components() -> list[str]:
    """The other modules of `components/`: mutmut's `mutants/` holds only what it mutates, so
    a module that config.py imports lazily (`components.recovery_config`) must be copied too,
    or every test reaching it fails there (ModuleNotFoundError), which mutmut counts as a kill."""
    mutated = {Path(m).name for m in MUTATED if m.startswith("components/")}
    return sorted(
        f"components/{p.name}"
        for p in (REPO_ROOT / "components").glob("*.py")
        if p.name not in mutated
    )


def pyproject() -> str:
    """The working copy's pyproject.toml: mutmut's settings and pytest's."""
    deselect = [arg for test in DESELECT for arg in ("--deselect", test)]
    return f"""[tool.mutmut]
source_paths = {_toml_list(MUTATED)}
do_not_mutate = {_toml_list(NOT_MUTATED)}
# mutmut runs the tests in mutants/: the helpers' modules and the stack files go there too.
also_copy = {_toml_list(ALSO_COPY + _unmutated_components())}
pytest_add_cli_args = {_toml_list(["-q", "-p", "no:cacheprovider", *deselect])}
pytest_add_cli_args_test_selection = ["tests/"]
# grpc (imported by pulumi, which the stack-config helpers import) is not fork-safe: fork the
# workers from a clean server process rather than from the one that ran the whole suite.
process_isolation = "forkserver"
use_git_change_detection = false

[tool.pytest.ini_options]
testpaths = ["tests"]
"""


def lay_out(work_dir: Path = WORK_DIR) -> Path:
    """(Re)build the working copy; mutmut's own state (mutants/) is kept for `results`."""
    work_dir.mkdir(parents=True, exist_ok=True)
    for name in ("backup_guard", "components", "tools", "tests"):
        shutil.rmtree(work_dir / name, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(
        REPO_ROOT / "policies" / "backup_guard", work_dir / "backup_guard", ignore=ignore
    )
    shutil.copytree(REPO_ROOT / "components", work_dir / "components", ignore=ignore)
    shutil.copytree(REPO_ROOT / "tools", work_dir / "tools", ignore=ignore)
    for stack_file in REPO_ROOT.glob("Pulumi*.yaml"):
        shutil.copy2(stack_file, work_dir / stack_file.name)
    tests = work_dir / "tests"
    tests.mkdir()
    # The tests live in folders mirroring the layout (tests/program, tests/pack, ...); the copy
    # is flat, so every helper imports by name and mutmut's test ids stay short.
    found = {p.name: p for p in (REPO_ROOT / "tests").rglob("*.py")}
    names = TEST_FILES + [n for g in TEST_GLOBS for n in found if Path(n).match(g)]
    for name in sorted(set(names)):
        shutil.copy2(found[name], tests / name)
    # The stored stacks the direct tests of the pack's checks read (tests/pack/stack_fixtures.py
    # finds them next to itself).
    shutil.copytree(REPO_ROOT / "tests" / "pack" / "fixtures", tests / "fixtures")
    (work_dir / "pyproject.toml").write_text(pyproject(), encoding="utf-8")
    return work_dir
