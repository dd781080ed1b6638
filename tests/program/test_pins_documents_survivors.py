"""Pins written from the documents' mutation survivors (issue 16, docs/testing.md).

The alert topic's policy lets EventBridge publish only for the protection rule and, since issue
14, the restore-test rule: `aws:SourceArn` lists both. A condition key with several values
matches any of them (IAM User Guide,
reference_policies_condition-logic-multiple-context-keys-or-values.html); the rule ARN as
`aws:SourceArn` is the confused-deputy advice of the EventBridge user guide ("Using
resource-based policies for Amazon EventBridge", Amazon SNS permissions). The document is the
product: asserted whole.
"""

from __future__ import annotations

from components import documents
from components.config import AccountSettings

TOPIC = "arn:aws:sns:eu-central-1:222222222222:backup-alerts"
RULE = "arn:aws:events:eu-central-1:222222222222:rule/backup-protection"
RESTORE_RULE = "arn:aws:events:eu-central-1:222222222222:rule/restore-tests"
OWNER = AccountSettings(
    account_id="222222222222",
    role_arn="arn:aws:iam::222222222222:role/backup-deployer",
    region="eu-central-1",
)


def test_alert_topic_policy_lets_every_listed_rule_publish() -> None:
    doc = documents.alert_topic_policy(
        topic_arn=TOPIC, rule_arn=RULE, owner=OWNER, also_rule_arns=[RESTORE_RULE]
    )
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowProtectionRuleToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": TOPIC,
                "Condition": {"ArnEquals": {"aws:SourceArn": [RULE, RESTORE_RULE]}},
            },
            {
                "Sid": "AllowOwnerAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                ],
                "Resource": TOPIC,
            },
        ],
    }
