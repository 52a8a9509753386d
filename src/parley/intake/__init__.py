"""Intake of public reporting: sources, extraction and evaluation.

Parley reads news reports (plain text, HTML, URLs, RSS/Atom feeds, folders) and proposes
structured records -- people and their titles, parties, meetings, quotations, documents,
commitments, demands -- each tied to the exact sentence that supports it (character offsets into
the stored text) and a confidence, plus the warnings a careful reader would raise. The engines here
are pure: no database, no web. The review queue stores and shows their proposals.
"""
