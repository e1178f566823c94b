"""The store: the one transactional database that holds everything a deployment cannot
rebuild (design §2, 9). Everything that persists state goes through it."""

from sanse.store.database import DATABASE_URL_ENV, Store, StoreError, close_all, database_url, open_store

__all__ = ["DATABASE_URL_ENV", "Store", "StoreError", "close_all", "database_url", "open_store"]
