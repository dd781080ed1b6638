"""`make mutation`: mutmut 3 on the policy pack and the config/document builders (docs/testing.md).

The pack is imported as `backup_guard` (pytest puts `policies/` on `sys.path`), but mutmut names
a mutant after the file's path under the working directory (`policies.backup_guard.x`), so its
trampolines would never match what the tests import. `layout` therefore builds a working copy in
which every mutated module sits under its import name, and `__main__` runs mutmut there.
"""
