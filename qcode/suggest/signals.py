"""All suggestion signals, registered by importing this module.

See :mod:`qcode.suggest.base` for the contract every signal follows.
"""

from __future__ import annotations

from qcode.suggest import learned, rules, similarity, vectors  # noqa: F401  (registration)
from qcode.suggest.base import DEFAULT_SIGNALS, REGISTRY, make_signals

__all__ = ["DEFAULT_SIGNALS", "REGISTRY", "make_signals"]
