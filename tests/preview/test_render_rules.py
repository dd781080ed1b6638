"""The offline preview shows each plan rule on one line (issue 13): schedule, retention, cold
storage, and each copy's destination and lifecycle; and a rich selection's ANDed tags."""

from __future__ import annotations

from tools.preview.engine import run_stack
from tools.preview.mermaid import render_mermaid
from tools.preview.render import render_text

PROD_COPIES = "222222222222 eu-central-1 cross-account-backup-prod-copies"


def rule_lines(text: str) -> list[str]:
    return [line.split("│", 1)[-1].strip() for line in text.splitlines() if " rule " in line]


def test_prod_shows_daily_and_monthly_each_on_one_line() -> None:
    text = render_text(run_stack("prod", preview=True), None)
    assert rule_lines(text) == [
        "rule daily: cron(0 3 ? * * *) into cross-account-backup-prod-local, deleted after 35 d; "
        f"copy → {PROD_COPIES}, deleted after 365 d",
        "rule monthly: cron(0 4 1 * ? *) into cross-account-backup-prod-local, deleted after "
        f"90 d; copy → {PROD_COPIES}, cold after 90 d, deleted after 2555 d",
    ]


def test_selection_with_several_tags_reads_as_and() -> None:
    run = run_stack(
        "dev",
        preview=True,
        config_overrides={
            "cross-account-backup:selection": {
                "tags": [{"key": "Backup", "value": "Yes"}, {"key": "Env", "value": "prod"}],
                "notResources": ["arn:aws:dynamodb:*:*:table/scratch-*"],
            }
        },
    )
    assert run.ok, run.error
    text = render_text(run, None)
    assert "resources tagged Backup = Yes and Env = prod" in text
    assert "except arn:aws:dynamodb:*:*:table/scratch-*" in text
    assert "selection: resources tagged Backup=Yes and Env=prod" in render_mermaid(run)
