"""Pledges, guarantees and obligations, and their fulfilment."""
