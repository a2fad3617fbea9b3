"""Selections to immutable plans, GraphQL arguments to plan values, rows back to objects."""
