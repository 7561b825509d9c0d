"""--processes N parses through spaCy's multiprocessing and gives the same suggestions."""

from __future__ import annotations

import pytest

from qcode.core.codebook import Code
from qcode.suggest.engine import TranscriptInput
from qcode.suggest.units import paragraph_spans
from tests.suggest.conftest import engine_for, rule_hits


@pytest.mark.slow
def test_two_processes_give_the_same_units_and_hits(en):
    engine = engine_for(en, [Code("c", {"": "Zzz"}, keywords={"": ("contract", "deadline")})])
    texts = [f"Contract number {i}. Deadlines again.\n\nNothing here {i}.\n\nMore contracts." for i in range(30)]
    items = [TranscriptInput(i, t, tuple(paragraph_spans(t))) for i, t in enumerate(texts)]

    def flat(results):
        return sorted((a.transcript_id, u.start, u.end, tuple(u.terms), tuple(h.code for h in hs))
                      for a in results for u, hs in zip(a.units, rule_hits(a), strict=True))

    one = flat(engine.analyse(items, processes=1))
    two = flat(engine.analyse(items, processes=2))
    assert one == two and len(one) == 90
