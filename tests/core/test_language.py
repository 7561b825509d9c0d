"""The rough language guess behind the import warning."""

from __future__ import annotations

from qcode.core.language import guess_language

EN = ("So what I do is that I label the data and then the client checks it, but they never tell you "
      "what was wrong with it. It is the same for all of us and we have no one to ask. ") * 4
FR = ("Alors ce que je fais c'est que je vérifie les réponses et le client les reprend, mais on ne sait pas "
      "qui les lit. Il y a des jours où on n'a rien et je ne suis pas payée pour ça. ") * 4


def test_clear_texts_are_guessed() -> None:
    assert guess_language(EN) == "en"
    assert guess_language(FR) == "fr"


def test_too_little_text_or_a_mix_is_no_guess() -> None:
    assert guess_language("Hello, how are you? Fine, thanks.") is None
    assert guess_language("") is None
    assert guess_language(EN + FR) is None
