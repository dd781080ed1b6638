"""The config model by concern (`components.config` is the facade: import from there)."""
