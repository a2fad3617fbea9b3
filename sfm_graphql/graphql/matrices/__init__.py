"""The Matrix type and its root fields."""
