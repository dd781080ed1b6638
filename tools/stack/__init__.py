"""What the preview, the verification and the policy config share: the stack as the Pulumi CLI
reads it, and the policy pack as the CLI starts it.

- `config`: a stack's config (`Pulumi.<stack>.yaml`) loaded as `pulumi preview` loads it;
- `pack_launch`: the pack's process, started as the CLI starts it (Pulumi-free, so it boots while
  the caller imports Pulumi);
- `policy_config`: the pack's config of a stack (`python -m tools.stack.policy_config`).
"""
