"""Fixtures of the `tools.verify` tests (defined in run_helpers)."""

from run_helpers import dev, dev_with_management, outputs_file

__all__ = ["dev", "dev_with_management", "outputs_file"]
