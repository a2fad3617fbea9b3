"""SFM analytics: the analysis graph of a scope and what is asked of it (docs/analytics.md)."""
