"""The `CrossAccountBackup` component and the pure builders it uses (config model, documents)."""
