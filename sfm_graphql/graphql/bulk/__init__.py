"""Bulk import and the graph export."""
