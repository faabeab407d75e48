"""Definition loading, validation and the `sandan definitions` commands."""
