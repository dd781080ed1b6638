"""The stack files' errors: raised before the program runs, each one user-facing."""

from __future__ import annotations

from pathlib import Path


class OfflineError(Exception):
    """The project or stack files are unusable; raised before the program runs. User-facing."""


class StackNotFound(OfflineError):
    """The stack has no `Pulumi.<stack>.yaml` in the project directory."""

    def __init__(self, stack: str, available: list[str], project_dir: Path) -> None:
        self.stack = stack
        self.available = available
        listing = ", ".join(available) if available else "none"
        super().__init__(
            f"unknown stack {stack!r}: there is no Pulumi.{stack}.yaml in {project_dir} "
            f"(stacks: {listing})"
        )


class ConfigValidationError(OfflineError):
    """A refusal of the CLI's own config validation (`pulumi preview` stops with it)."""


class SecretNotDecrypted(OfflineError):
    """A `secure:` value, read by a caller that did not accept placeholders."""
