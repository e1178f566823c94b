"""`python -m sanse`: the `sanse` command, which lives with the pipelines it drives (pipelines/cli.py)."""

from pipelines.cli import main

raise SystemExit(main())
