"""The store's repositories: one class per kind of record, over SQLAlchemy Core (SQLite and PostgreSQL).

Each takes the store's :class:`~qcode.storage.engine.TransactionManager`, so its
writes join an open ``store.transaction()`` and its reads see that transaction's
changes. Their shapes are the Protocols in :mod:`qcode.storage.interface`.
"""
