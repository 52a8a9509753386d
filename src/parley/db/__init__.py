"""Database base class, column types, engine and session setup."""
