"""Persistence of qcode projects (SQLite by default, PostgreSQL for teams)."""

from qcode.storage.migrations import SCHEMA_VERSION
from qcode.storage.store import Store

__all__ = ["SCHEMA_VERSION", "Store"]
