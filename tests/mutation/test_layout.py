"""`tools/mutation`'s working copy: the files it copies exist, and mutated modules sit under the
names the tests import (otherwise every mutant would "survive" unnoticed)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from tools.mutation import layout

REPO = Path(__file__).resolve().parents[2]


def test_every_listed_test_file_exists() -> None:
    present = {p.name for p in (REPO / "tests").rglob("*.py")}
    missing = [name for name in layout.TEST_FILES if name not in present]
    assert missing == []


def test_working_copy_has_the_import_names(tmp_path: Path) -> None:
    work = layout.lay_out(tmp_path / "work")
    assert (work / "backup_guard" / "iam" / "evaluate.py").is_file()
    assert (work / "components" / "config.py").is_file()
    assert (work / "tests" / "test_pins_iam.py").is_file()
    # The stored stacks the direct tests of the pack's checks read, next to their loader.
    assert (work / "tests" / "stack_fixtures.py").is_file()
    assert sorted(p.name for p in (work / "tests" / "fixtures").glob("*.json")) == sorted(
        p.name for p in (REPO / "tests" / "pack" / "fixtures").glob("*.json")
    )
    # Every listed file and pin file is copied, flat, from its folder under tests/.
    for name in layout.TEST_FILES:
        assert (work / "tests" / name).is_file(), name
    pins = sorted(p.name for p in (REPO / "tests").rglob("test_pins_*.py"))
    assert {"test_pins_config.py", "test_pins_iam.py", "test_pins_iam_survivors.py"} <= set(pins)
    assert sorted(p.name for p in (work / "tests").glob("test_pins_*.py")) == pins
    config = tomllib.loads((work / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["mutmut"]["source_paths"] == [
        "backup_guard/",
        "components/config.py",
        "components/settings/",
        "components/documents.py",
    ]
    assert config["tool"]["mutmut"]["do_not_mutate"] == ["backup_guard/pack.py"]
    assert config["tool"]["mutmut"]["process_isolation"] == "forkserver"
    # mutants/ holds only the mutated files: config.py's lazy import of recovery_config needs it.
    assert "components/recovery_config.py" in config["tool"]["mutmut"]["also_copy"]
    assert "components/config.py" not in config["tool"]["mutmut"]["also_copy"]
    # The config model's parsing moved to components/settings/: it is mutated, not only copied.
    assert not any(
        path.startswith("components/settings") for path in config["tool"]["mutmut"]["also_copy"]
    )
    assert (work / "components" / "settings" / "plan.py").is_file()


def test_the_config_area_counts_the_settings_package(tmp_path: Path) -> None:
    from tools.mutation import score

    mutants = tmp_path / "mutants"
    for source, codes in {
        "components/config.py": {"a": 1},
        "components/settings/plan.py": {"b": 1, "c": 0},
        "components/documents.py": {"d": None},
        "backup_guard/rules.py": {"e": 5},
    }.items():
        meta = mutants / f"{source}.meta"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"exit_code_by_key": codes}), encoding="utf-8")
    counts = score.tally(tmp_path)
    assert counts["components/config.py"] == {"killed": 2, "survived": 1}
    assert counts["components/documents.py"] == {"not checked": 1}
    assert counts["backup_guard/"] == {"no tests": 1}
