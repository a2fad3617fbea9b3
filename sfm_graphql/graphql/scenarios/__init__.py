"""Scenarios and their comparison."""
