"""Scale of one stack with many source accounts (issue 12): the offline preview of generated
stacks with 1, 10, 50 and 200 sources.

For each size: resources registered, wall time of the whole offline preview (`tools.preview.run.
preview`: stack files, pack start, the program under mocks, every Analyze and AnalyzeStack; the
median of 3 runs), the program's share, the time in the pack (its `Analyze` calls, which the preview
sends as the program registers each resource, so they overlap the program, plus `AnalyzeStack`),
what is left after the program (`analysis`: the queued `Analyze` calls and `AnalyzeStack`), the CPU
seconds (user + system) of the preview process and of the pack process (medians: on a shared machine
wall times follow the load, CPU seconds much less), and peak memory (max RSS of the preview process
and of the pack process). Each run is a fresh process (`--one
N`), so that imports, caches and the peak RSS are those of one preview.

Run with `make bench` (not in CI: it takes minutes and measures this machine). The generated
stacks live in a temporary project directory (the repo's Pulumi.yaml, program and components,
linked), never among the repo's Pulumi.*.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SIZES = (1, 10, 50, 200)
RUNS = 3
BACKUP = "222222222222"


def account_id(i: int) -> str:
    """The i-th generated source: 12 digits, never the backup account (placeholders)."""
    return f"{300000000000 + i:012d}"


def stack_text(sources: int) -> str:
    lines = ["config:", "  cross-account-backup:sourceAccounts:"]
    for i in range(sources):
        a = account_id(i)
        lines += [
            f'    - accountId: "{a}"',
            f"      roleArn: arn:aws:iam::{a}:role/backup-deployer",
            "      region: eu-west-1",
        ]
    lines += [
        "  cross-account-backup:backupAccount:",
        f'    accountId: "{BACKUP}"',
        f"    roleArn: arn:aws:iam::{BACKUP}:role/backup-deployer",
        "    region: eu-west-1",
        "  cross-account-backup:vaultLock:",
        "    mode: governance",
        "    minRetentionDays: 1",
        "    maxRetentionDays: 365",
    ]
    return "\n".join(lines) + "\n"


def project(directory: Path, sources: int) -> str:
    """A project directory with the repo's project and program and a generated stack."""
    for name in ("Pulumi.yaml", "__main__.py", "components"):
        link = directory / name
        if not link.exists():
            link.symlink_to(REPO / name)
    stack = f"bench{sources}"
    (directory / f"Pulumi.{stack}.yaml").write_text(stack_text(sources))
    return stack


def one(sources: int) -> dict[str, Any]:
    """One preview of a generated stack, in this process."""
    sys.path.insert(0, str(REPO))
    from tools.preview.run import preview

    with tempfile.TemporaryDirectory() as tmp:
        stack = project(Path(tmp), sources)
        run, report, timings = preview(stack, project_dir=Path(tmp))
    assert run.error is None, run.error
    assert report is not None
    mandatory = [v for v in report.violations if v.enforcement_level == "mandatory"]
    assert not mandatory, mandatory[:3]
    # The pack is this process's only child, stopped and reaped by `preview`: RUSAGE_CHILDREN is
    # the pack process's own, RUSAGE_SELF this one's (imports, the program, the gRPC client).
    own = resource.getrusage(resource.RUSAGE_SELF)
    pack = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "resources": len(run.resources),
        "total": timings["total"],
        "pack": timings["packAnalyze"] + timings["packAnalyzeStack"],
        "after": timings["analysis"],
        "program": timings["program"],
        "rss_mib": own.ru_maxrss / 1024,
        "pack_rss_mib": pack.ru_maxrss / 1024,
        "cpu": own.ru_utime + own.ru_stime,
        "pack_cpu": pack.ru_utime + pack.ru_stime,
    }


def measure(sources: int, runs: int) -> dict[str, Any]:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(sources)],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "sources": sources,
        "resources": results[0]["resources"],
        "total": statistics.median(r["total"] for r in results),
        "program": statistics.median(r["program"] for r in results),
        "pack": statistics.median(r["pack"] for r in results),
        "after": statistics.median(r["after"] for r in results),
        "cpu": statistics.median(r["cpu"] for r in results),
        "pack_cpu": statistics.median(r["pack_cpu"] for r in results),
        "load": os.getloadavg()[0],
        "rss_mib": max(r["rss_mib"] for r in results),
        "pack_rss_mib": max(r["pack_rss_mib"] for r in results),
    }


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| sources | resources | preview (median of 3) | program | pack (overlaps program) "
        "| after program | CPU preview / pack | peak RSS preview / pack | load |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(
            f"| {r['sources']} | {r['resources']} | {r['total']:.1f} s | {r['program']:.1f} s "
            f"| {r['pack']:.2f} s | {r['after']:.2f} s "
            f"| {r['cpu']:.1f} / {r['pack_cpu']:.1f} s "
            f"| {r['rss_mib']:.0f} / {r['pack_rss_mib']:.0f} MiB | {r['load']:.1f} |"
        )
    by_size = {r["sources"]: r for r in rows}
    if 10 in by_size and 200 in by_size:
        per = {n: by_size[n]["pack"] / by_size[n]["resources"] for n in (10, 200)}
        out.append("")
        out.append(
            f"pack time per resource, 200 sources / 10 sources: {per[200] * 1000:.2f} ms / "
            f"{per[10] * 1000:.2f} ms = {per[200] / per[10]:.2f} (1.0: linear)"
        )
        cpu = {n: by_size[n]["pack_cpu"] / by_size[n]["resources"] for n in (10, 200)}
        out.append(
            f"pack CPU per resource, 200 sources / 10 sources: {cpu[200] * 1000:.2f} ms / "
            f"{cpu[10] * 1000:.2f} ms = {cpu[200] / cpu[10]:.2f} (1.0: linear)"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/preview_scale.py", description=__doc__)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one(args.one)))
        return 0
    rows = []
    for size in args.sizes:
        rows.append(measure(size, args.runs))
        print(f"{size} sources: {rows[-1]}", file=sys.stderr)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
