"""Record-level tables (design §3.2): checked, kept as received, compared with what came before and
counted into town-days."""
