"""Processes, parties, coalitions, people, delegations and memberships."""
