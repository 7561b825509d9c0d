"""Adapters between files and qcode's core objects (import and export)."""
