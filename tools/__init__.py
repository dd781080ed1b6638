"""Commands that are not `pulumi` itself, one package per purpose (map: docs/INTERFACES.md):

- `tools.stack`: the stack and the pack as the Pulumi CLI sees them, shared by the others
  (`python -m tools.stack.policy_config`: the pack's config of a stack);
- `tools.preview`: the offline preview (`python -m tools.preview`);
- `tools.verify`: live verification of a deployed stack (`python -m tools.verify`).

The policy pack's pure modules (`backup_guard`) live in `policies/` so that the pack stays
self-contained for the Pulumi CLI; the tools import them from there.
"""

import sys
from pathlib import Path

_POLICIES = str(Path(__file__).resolve().parent.parent / "policies")
if _POLICIES not in sys.path:
    sys.path.insert(0, _POLICIES)
