"""Operating Parley: verified backups and restores, and signed checkpoints of the audit chains."""
