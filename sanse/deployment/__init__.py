"""A deployment's home directory (design §2): towns.csv, rules.toml, the demo city, backups."""
