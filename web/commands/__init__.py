"""Subcommands of `sandan`, one module per group."""
