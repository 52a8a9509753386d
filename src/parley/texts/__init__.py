"""Negotiating texts: documents, versions, provisions with permanent ids, and the pure engines.

The engines work on the plain dataclasses in :mod:`parley.texts.plain` and never touch a
database: :mod:`~parley.texts.numbered` (import), :mod:`~parley.texts.redline` (word-level
redlines), :mod:`~parley.texts.matching` (provision matching), :mod:`~parley.texts.compare`
(N-column comparison), :mod:`~parley.texts.canonical` (content hash), and the exports
:mod:`~parley.texts.akn`, :mod:`~parley.texts.docx_export` and
:mod:`~parley.texts.markdown_export`. See docs/texts.md.
"""
