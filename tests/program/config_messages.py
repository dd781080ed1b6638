"""The messages the config model promises (issue 16: asserted whole): `ConfigError`'s
"invalid config <ns>:<key> = <value repr>: <remedy>", or "missing config <ns>:<key>: <remedy>"
for a key not given. Pulumi-free: shared by the `test_pins_config_*.py` pins."""

from __future__ import annotations

from typing import Any

NS = "cross-account-backup"


def expected(key: str, value: Any, remedy: str) -> str:
    """The message the config model promises: key, value (repr) and remedy."""
    from components.config import _MISSING

    if value is _MISSING:
        return f"missing config {NS}:{key}: {remedy}"
    return f"invalid config {NS}:{key} = {value!r}: {remedy}"
