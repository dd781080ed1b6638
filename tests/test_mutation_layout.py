"""`tools/mutation`'s working copy: the files it copies exist, and mutated modules sit under the
names the tests import (otherwise every mutant would "survive" unnoticed)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tools.mutation import layout

REPO = Path(__file__).resolve().parent.parent


def test_every_listed_test_file_exists() -> None:
    missing = [name for name in layout.TEST_FILES if not (REPO / "tests" / name).is_file()]
    assert missing == []


def test_working_copy_has_the_import_names(tmp_path: Path) -> None:
    work = layout.lay_out(tmp_path / "work")
    assert (work / "backup_guard" / "iam" / "evaluate.py").is_file()
    assert (work / "components" / "config.py").is_file()
    assert (work / "tests" / "test_pins_iam.py").is_file()
    config = tomllib.loads((work / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["mutmut"]["source_paths"] == [
        "backup_guard/",
        "components/config.py",
        "components/documents.py",
    ]
    assert config["tool"]["mutmut"]["do_not_mutate"] == ["backup_guard/pack.py"]
    assert config["tool"]["mutmut"]["process_isolation"] == "forkserver"
