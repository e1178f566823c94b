from sanse.cli import main

raise SystemExit(main())
