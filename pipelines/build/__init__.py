"""The build of a server's warehouse from the store (design §9): SQL models, the days recomputed,
Parquet segments."""
