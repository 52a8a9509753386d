"""Positions, convergence and the package optimizer."""
