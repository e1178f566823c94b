"""The `sanse` command line (design §7), an interface beside the dashboard."""
