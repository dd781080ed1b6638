"""`make preview`: `python -m tools.preview`, the offline preview's command line.

    python -m tools.preview --stack dev [--show-policies] [--json] [--diagram FILE]
                            [--policy-pack DIR] [--no-policy] [--timings] [--debug]

Parses the arguments, calls `tools.preview.run.preview` and prints what `tools.preview.render`
makes of it. Exit codes: 0 no mandatory violation, 1 one or more mandatory violations, 2 the
preview could not run (unknown stack, bad config — the program's own message —, a program or
pack failure).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Only Pulumi-free modules at import time: `run` spawns the pack before importing Pulumi.
from tools.preview import run
from tools.preview.run import DEFAULT_PACK, EXIT_ERROR, EXIT_OK, EXIT_VIOLATION, PreviewError
from tools.stack.errors import OfflineError
from tools.stack.paths import parse_override
from tools.stack.secrets import mask_secrets


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preview",
        description=(
            "Offline `pulumi preview --policy-pack policies` of a stack: the program under "
            "Pulumi mocks, the policy pack over its gRPC interface, no cloud, no credentials."
        ),
        epilog="Exit codes: 0 passed, 1 mandatory policy violation, 2 the preview could not run.",
    )
    parser.add_argument("--stack", "-s", default="dev", help="the stack (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--show-policies",
        action="store_true",
        help="print the policy documents (vault, key, topic, trust) in full",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON (tools/preview/preview-schema.json)"
    )
    parser.add_argument(
        "--diagram", metavar="FILE", type=Path, help="write a Mermaid diagram of the accounts"
    )
    parser.add_argument(
        "--policy-pack",
        metavar="DIR",
        type=Path,
        default=DEFAULT_PACK,
        help="the policy pack directory (default: policies)",
    )
    parser.add_argument(
        "--config",
        "-c",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help=(
            "override a config value for this preview only (the stack file is not changed). "
            "A path sets one field and keeps the rest of the stack's value, like `pulumi config "
            "set --path` (`-c backupPlan.retentionDays=60`; true/false and plain integers are "
            "typed, the rest are strings). A whole key takes a YAML value and REPLACES the whole "
            "value (`-c 'backupPlan={retentionDays: 60}'` resets the other fields to their "
            "defaults); `-c KEY=null` unsets it. The namespace is optional"
        ),
    )
    parser.add_argument("--no-policy", action="store_true", help="skip the policy pack")
    parser.add_argument("--timings", action="store_true", help="print how long each part took")
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback when the program fails"
    )
    return parser


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """`-c KEY=VALUE` pairs (`tools.stack.config.parse_override`): a whole key's value is YAML
    read as the CLI reads YAML; a path's value is typed as `pulumi config set --path` types it."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        try:
            key, value = parse_override(pair)
        except OfflineError as exc:
            raise PreviewError("config", str(exc)) from exc
        overrides[key] = value
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    pack_dir = None if args.no_policy else args.policy_pack
    try:
        overrides = parse_overrides(args.config)
        plan, report, timings = run.preview(
            args.stack, pack_dir=pack_dir, config_overrides=overrides
        )
    except PreviewError as exc:
        if args.json:
            from tools.preview.json_output import error_document

            print(
                json.dumps(error_document(exc.kind, mask_secrets(str(exc)), args.stack), indent=2)
            )
        label = {"config": "invalid configuration", "stack": "error"}.get(exc.kind, "error")
        print(f"{label}: {mask_secrets(str(exc))}", file=sys.stderr)
        if args.debug and exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__)
        return EXIT_ERROR

    from tools.preview.json_output import render_json
    from tools.preview.mermaid import render_mermaid
    from tools.preview.render import render_text

    if args.diagram:
        args.diagram.parent.mkdir(parents=True, exist_ok=True)
        args.diagram.write_text(mask_secrets(render_mermaid(plan)), encoding="utf-8")
    # Secrets carry placeholders through the program; the reader sees `[secret]`.
    if args.json:
        sys.stdout.write(mask_secrets(render_json(plan, report, timings=timings)))
    else:
        sys.stdout.write(
            mask_secrets(
                render_text(
                    plan,
                    report,
                    show_policies=args.show_policies,
                    timings=timings if args.timings else None,
                )
            )
        )
        if args.diagram:
            print(f"Diagram: {args.diagram}")
    return EXIT_VIOLATION if report is not None and report.mandatory else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
