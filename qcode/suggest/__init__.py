"""Offline, explainable code suggestions with spaCy.

The package is split so that nothing heavy is imported until suggestions are
actually computed:

* :mod:`qcode.suggest.pipeline` picks the best installed spaCy pipeline for a
  language (a trained one when installed, else ``spacy.blank`` with the lookup
  lemmatizer) and says what it lacks;
* :mod:`qcode.suggest.cache` keeps parsed documents on disk (DocBin), keyed by
  text hash, pipeline name and version;
* :mod:`qcode.suggest.units` cuts parsed turns into units (turns, or sentences
  and sentence-like windows when a turn is long) with their lemma features;
* :mod:`qcode.suggest.components` makes the units and the codebook's keyword
  and pattern matches registered spaCy components (``qcode_units_v1``,
  ``qcode_codebook_matcher_v1``) that set ``doc.spans["qcode_units"]`` and
  ``doc.spans["qcode_matches"]``; the engine reads those span groups;
* :mod:`qcode.suggest.signals` holds the registry of named, versioned signals
  (``qcode.lemma_keywords.v2``, ``qcode.patterns.v2``, ``qcode.similarity.v1``,
  ``qcode.learned.v2``);
* :mod:`qcode.suggest.engine` combines them into scored candidates with
  faithful evidence; :mod:`qcode.suggest.baseline` is the plain keyword search
  used as the evaluation baseline.

spaCy and numpy are imported only inside functions.
"""

from __future__ import annotations
