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
  ``doc.spans["qcode_matches"]``; the engine computes the same units and
  matches as arrays (``components.analyse_arrays``: no Span objects, tests
  check both agree);
* :mod:`qcode.suggest.signals` holds the registry of named, versioned signals
  (``qcode.lemma_keywords.v2``, ``qcode.patterns.v2``, ``qcode.similarity.v1``,
  ``qcode.vectors.v1``, ``qcode.learned.v2``; the two similarity signals share
  :mod:`qcode.suggest.references`);
* :mod:`qcode.suggest.engine` combines them into scores (one path,
  :meth:`~qcode.suggest.engine.Engine.table`) and their evidence
  (:mod:`qcode.suggest.explain`, one stored form: :mod:`qcode.suggest.evidence`);
  :mod:`qcode.suggest.baseline` holds the keyword and supervised baselines of
  the evaluation.

spaCy and numpy are imported only inside functions.
"""

from __future__ import annotations
