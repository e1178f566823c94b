"""What every layer agrees on, each defined once: the report's counts, tiers, period kinds,
measures and cards, date formats and the Beijing clock."""
