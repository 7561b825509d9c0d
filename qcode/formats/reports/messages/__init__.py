"""Report message catalogues, one module per language (see :mod:`qcode.formats.reports.i18n`)."""
