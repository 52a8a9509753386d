"""Append-only, hash-chained audit events, one chain per space."""
