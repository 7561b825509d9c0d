"""Screens of the coding app."""
