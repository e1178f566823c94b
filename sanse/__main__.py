"""`python -m sanse`: the `sanse` command, which lives with the pipelines it drives (sanse/cli/main.py)."""

from sanse.cli.main import main

raise SystemExit(main())
