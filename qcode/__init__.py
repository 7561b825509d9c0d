"""qcode: qualitative interview coding in the terminal.

The package is layered, and imports point one way only::

    tui, cli  ->  usecases  ->  formats, storage, suggest  ->  core

``qcode.core`` is the pure domain (stdlib only). Importing ``qcode`` itself is
cheap: it pulls in neither Textual, spaCy, python-docx nor SQLAlchemy.
"""

__version__ = "0.1.0"
