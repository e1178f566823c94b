"""Ranking (design §4): scores, ranks and tiers, movement, periods, groups, the rules in force and
the built warehouse's reads."""
