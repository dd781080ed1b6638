"""The offline preview (`python -m tools.preview`, `make preview`): the program under Pulumi
mocks, the policy pack over its gRPC interface, the plan rendered as text, JSON or Mermaid.

- `__main__`: the command line; `run`: one preview (program + pack, in parallel);
- `engine`: the program under mocks in preview mode, one provider per account;
- `pack_client` (+ `pack_standin`): the analyzer gRPC client that drives the pack;
- `render`: the text, JSON (`preview-schema.json`) and Mermaid output.

Nothing is imported here: `run` starts the pack before anything imports Pulumi.
"""
