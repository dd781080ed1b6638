"""Commands that are not `pulumi` itself: offline preview, policy config, live verification.

The policy pack's pure modules (`backup_guard`) live in `policies/` so that the pack stays
self-contained for the Pulumi CLI; the tools import them from there.
"""

import sys
from pathlib import Path

_POLICIES = str(Path(__file__).resolve().parent.parent / "policies")
if _POLICIES not in sys.path:
    sys.path.insert(0, _POLICIES)
