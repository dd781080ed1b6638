"""backup_guard: the rules of the cross-account-backup CrossGuard pack, free of Pulumi.

- `iam`: an IAM resource-policy evaluator (also used by `tools/verify`).
- `values`: reading analyzer property values (unknowns during preview, JSON-string provider inputs).
- `topology`: which vault receives copies from which account, which key encrypts which vault.
- `rules`: one plain function per check, from property dicts and account ids to messages.
- `pack`: the glue to `pulumi_policy` (the only module that imports it).
"""
