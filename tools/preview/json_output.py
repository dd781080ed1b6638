"""`--json`: what the text shows, for machines; the shape is `tools/preview/preview-schema.json`
(its `schemaVersion` is `render.SCHEMA_VERSION`)."""

from __future__ import annotations

import json
from typing import Any

from tools.preview.engine import UNKNOWN, OfflineRun, contains_unknown

# The model the three views share (the text view's module).
from tools.preview.render import (
    ADVISORY,
    MANDATORY,
    REMEDIATE,
    SCHEMA_VERSION,
    PolicyReport,
    _Names,
    display_order,
    group_by_account,
    resource_details,
)


def to_document(
    run: OfflineRun, report: PolicyReport | None, *, timings: dict[str, float] | None = None
) -> dict[str, Any]:
    """The `--json` document (see `tools/preview/preview-schema.json`)."""
    names = _Names(run)
    accounts = group_by_account(run)
    account_of = {r.urn: a for a in accounts for r in a.resources}
    resources = []
    for r in display_order(run):
        a = account_of.get(r.urn)
        resources.append(
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent or None,
                "provider": a.provider_name if a and a.key else None,
                "accountId": r.account_id if r.custom else None,
                "region": r.region if r.custom else None,
                "protect": bool(r.options.get("protect", False)),
                "properties": r.inputs,
                "unknownProperties": sorted(k for k, v in r.inputs.items() if contains_unknown(v)),
                "propertyDependencies": r.property_dependencies,
                "summary": resource_details(r, names),
            }
        )
    doc: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "project": run.project,
        "stack": run.stack,
        "preview": run.preview,
        "unknownValue": UNKNOWN,
        "accounts": [
            {
                "accountId": a.account_id,
                "region": a.region,
                "provider": a.provider_name,
                "role": a.role,
                "resources": [r.urn for r in a.resources],
            }
            for a in accounts
            if a.key
        ],
        "resources": resources,
        "outputs": run.outputs,
        "policyPack": None,
        "policies": [],
        "violations": [],
        "summary": {
            "resources": len(run.resources) + 1,
            "accounts": len([a for a in accounts if a.key]),
            "mandatory": 0,
            "advisory": 0,
            "remediate": 0,
            "passed": True,
        },
    }
    if report is not None:
        by_policy: dict[str, int] = {}
        for v in report.violations:
            by_policy[v.policy_name] = by_policy.get(v.policy_name, 0) + 1
        doc["policyPack"] = {
            "name": report.pack_name,
            "version": report.pack_version,
            "path": report.pack_path,
            "config": report.config,
        }
        doc["policies"] = [
            {
                "name": p.name,
                "description": p.description,
                "enforcementLevel": p.enforcement_level,
                "violations": by_policy.get(p.name, 0),
            }
            for p in report.policies
        ]
        doc["violations"] = [
            {
                "policyName": v.policy_name,
                "enforcementLevel": v.enforcement_level,
                "message": v.message,
                "description": v.description,
                "urn": v.urn or None,
                "phase": v.phase,
            }
            for v in report.violations
        ]
        doc["summary"].update(
            mandatory=report.count(MANDATORY),
            advisory=report.count(ADVISORY),
            remediate=report.count(REMEDIATE),
            passed=report.mandatory == 0,
        )
    if timings is not None:
        doc["timings"] = {k: round(v, 3) for k, v in timings.items()}
    return doc


def render_json(
    run: OfflineRun, report: PolicyReport | None, *, timings: dict[str, float] | None = None
) -> str:
    return json.dumps(to_document(run, report, timings=timings), indent=2) + "\n"


def error_document(kind: str, message: str, stack: str) -> dict[str, Any]:
    """The `--json` document when the preview could not run (exit code 2)."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "stack": stack,
        "error": {"kind": kind, "message": message},
    }
