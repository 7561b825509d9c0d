"""A rough guess of a transcript's language from its commonest words.

Only used to warn at import that a transcript was given a language its text
does not read as (English interviews imported into a French project would
otherwise be parsed with the French pipeline, silently). The function words
below are among the most frequent of each language in speech and are rare in
the others; a guess is made only on enough of them and a clear lead.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import islice

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and of to is that it you was with for this they have what but not are".split()),
    "fr": frozenset("le la les et est un une des que qui pas je vous dans pour ce il on mais".split()),
    "de": frozenset("der die das und ist nicht ich sie ein eine zu mit auf den es wir".split()),
    "es": frozenset("el los las y es que no un una por con para se lo como pero".split()),
    "it": frozenset("il di che non è per una sono ma gli della anche io lo".split()),
    "pt": frozenset("o os as e é que não um uma com para se por mas eu".split()),
    "nl": frozenset("de het een en is van niet ik dat je die op zijn maar".split()),
}
NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
         "pt": "Portuguese", "nl": "Dutch"}
MIN_HITS = 30
"""Function words needed before guessing (a few lines of speech are not enough)."""
LEAD = 2.0
"""How many times more hits the best language needs than the next one."""
_WORD = re.compile(r"\w+")


def guess_language(text: str, limit: int = 20000) -> str | None:
    """The ISO 639-1 code the first *limit* words of *text* read as, or None when unsure."""
    words = Counter(m.group().casefold() for m in islice(_WORD.finditer(text), limit))
    hits = sorted(((sum(words[w] for w in fw), lang) for lang, fw in FUNCTION_WORDS.items()), reverse=True)
    (best, lang), (second, _) = hits[0], hits[1]
    if best < MIN_HITS or best < LEAD * second:
        return None
    return lang
