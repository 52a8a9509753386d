"""Identity: users, passwords, web sessions, API tokens."""
