"""What a deployment's files (towns.csv, rules.toml) can get wrong, said for the user."""

from __future__ import annotations

MAX_NUMBER = 1_000_000  # an issue number, a streak or a tier's size: any more is a slip of the keyboard


class ConfigError(ValueError):
    """A towns.csv or rules.toml that cannot be used; the message is for the user."""


class MalformedConfig(ConfigError):
    """A setting written so that it cannot be read at all (the command line's usage error, exit 2)."""
