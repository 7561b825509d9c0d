"""REFI-QDA projects (``.qdpx``/``.qde``) and other tools' projects (QualCoder, Taguette).

Every reader produces the same plain model (:mod:`.model`): sources with their
plain text, selections in code points over that text, codings, users, codes,
notes, variables and cases. :mod:`qcode.usecases.refi_import` places that model
in a project; :mod:`qcode.usecases.refi_export` builds it from one for
:mod:`.writer`. Position conventions of the vendors live in :mod:`.positions`.
"""
