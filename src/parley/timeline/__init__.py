"""The read model over everything dated: one filterable timeline, scoped by space."""
