"""The `sanse` commands, one module for each part of the work (sanse/cli/main.py reads the
command line and runs one of them)."""
