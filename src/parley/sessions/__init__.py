"""Sessions, proximity rooms, minutes, statements and their signatories."""
