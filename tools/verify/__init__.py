"""`python -m tools.verify`: prove a deployed stack's cross-account copy works, say why when not.

Layout (one concern per module):
- `__main__`: parses the arguments and calls `cli.run`;
- `cli`: the command (arguments, exit handling, `--help` text);
- `errors`: the exit codes and how an AWS error becomes one;
- `inputs`: stack config (secrets through the Pulumi CLI), stack outputs, the resource ARN;
- `aws_session`: the per-account AWS clients (STS AssumeRole, regional endpoints, retries);
- `run`: one verification run (backup, copy, confirmation, cleanup, follow-up commands);
- `diagnose/`: the diagnosis, one module per thing it checks.

See docs/verify.md.
"""
