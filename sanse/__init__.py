"""Sanse 三色晾晒: the daily blue/yellow/red ranking of a city's towns and its bulletin (docs/design.md
§14: how the packages are layered)."""
