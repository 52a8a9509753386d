"""Scenario files: a YAML description of a whole process, validated and loaded in one go."""
