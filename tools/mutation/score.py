"""The mutation score per area, from mutmut's own records (mutants/**/*.meta).

Score = killed / (all - skipped): a timeout counts as killed (the mutant made the tests hang,
which a test run notices), "no tests" and "survived" count as alive. Equivalent mutants are
not subtracted here: docs/testing.md lists the survivors with the reason each is equivalent.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

#: Areas scored separately, with the issue's target (issue 16).
AREAS = {
    "backup_guard/": 0.95,
    "components/documents.py": 0.95,
    "components/config.py": 0.90,
}
#: The sources each area covers: the config model is config.py (the facade) and settings/ (its
#: parsing, split out of config.py).
SOURCES = {
    "backup_guard/": ("backup_guard/",),
    "components/documents.py": ("components/documents.py",),
    "components/config.py": ("components/config.py", "components/settings/"),
}
_KILLED = {1, 3, 36, 24, -24, 152, 255, 37}
_SURVIVED = {0}
_NO_TESTS = {5, 33}


def _status(code: int | None) -> str:
    if code in _KILLED:
        return "killed"
    if code in _SURVIVED:
        return "survived"
    if code in _NO_TESTS:
        return "no tests"
    if code is None:
        return "not checked"
    return "suspicious" if code != 34 else "skipped"


def tally(work_dir: Path) -> dict[str, Counter[str]]:
    """Counts of each status per area."""
    counts: dict[str, Counter[str]] = {area: Counter() for area in AREAS}
    for meta in sorted((work_dir / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(work_dir / "mutants").as_posix().removesuffix(".meta")
        area = next((a for a in AREAS if source.startswith(SOURCES[a])), None)
        if area is None:
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts[area].update(_status(code) for code in codes.values())
    return counts


def print_scores(work_dir: Path) -> int:
    """Print one line per area; 0 when every area meets its target, else 1."""
    ok = True
    for area, target in AREAS.items():
        c = tally(work_dir)[area]
        total = sum(c.values()) - c["skipped"]
        score = c["killed"] / total if total else 0.0
        ok = ok and score >= target
        detail = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        name = "components/config.py+settings/" if area == "components/config.py" else area
        print(f"{name:31} {score:6.1%} (target {target:.0%}) of {total} mutants: {detail}")
    return 0 if ok else 1
