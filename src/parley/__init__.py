"""Parley: a secure workspace and verifiable record for mediated negotiations."""

__version__ = "0.1.0"
