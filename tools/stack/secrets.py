"""`{secure: ...}` values (`object.go` `isSecureValue`): offline nothing can be decrypted, so each
secret gets a placeholder the preview shows as `[secret]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: What a secret that can't be decrypted offline becomes; the preview prints `[secret]`.
SECRET_PLACEHOLDER = "offline-secret-placeholder"
#: The placeholder of a secret whose key names an e-mail address (the program checks the shape).
SECRET_EMAIL_PLACEHOLDER = "offline-secret-placeholder@example.com"
SECRET_MASK = "[secret]"


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secure:
    """`{secure: <ciphertext>}`: a value only the stack's secrets provider can decrypt."""

    ciphertext: str


def _is_secure(value: Any) -> bool:
    # object.go `isSecureValue`: a map with the single key "secure" of type string.
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def mark_secure(value: Any) -> Any:
    if _is_secure(value):
        return Secure(value["secure"])
    if isinstance(value, dict):
        return {k: mark_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_secure(v) for v in value]
    return value


def placeholder_for(path: str) -> str:
    """The stand-in for the secret at `path`; shaped to pass the program's checks."""
    leaf = re.split(r"[.:\[]", path)[-1].lower()
    return SECRET_EMAIL_PLACEHOLDER if "email" in leaf else SECRET_PLACEHOLDER


def mask_secrets(text: str) -> str:
    """Show the placeholders of secrets as `[secret]` (the longer one first)."""
    return text.replace(SECRET_EMAIL_PLACEHOLDER, SECRET_MASK).replace(
        SECRET_PLACEHOLDER, SECRET_MASK
    )


def replace_secrets(value: Any, where: str, found: list[str]) -> Any:
    if isinstance(value, Secure):
        found.append(where)
        return placeholder_for(where)
    if isinstance(value, dict):
        return {k: replace_secrets(v, f"{where}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_secrets(v, f"{where}[{i}]", found) for i, v in enumerate(value)]
    return value
