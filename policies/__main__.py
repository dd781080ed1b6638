"""The cross-account-backup CrossGuard policy pack, as the Pulumi CLI runs it.

`pulumi preview --policy-pack policies [--policy-pack-config FILE]`. The rules live in
`backup_guard` (plain functions, tested without Pulumi); this file only builds the pack, which
then serves the analyzer gRPC interface until the CLI stops it.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from backup_guard.pack import PACK_NAME, build_policies, use_guard_analyzer

# pulumi-policy's servicer, converting each request once instead of once per policy (same answers).
use_guard_analyzer()
PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
)
