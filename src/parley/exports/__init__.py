"""Exports: the JSON bundle (and, with the other capabilities, Markdown, DOCX, AKN, ICS)."""
