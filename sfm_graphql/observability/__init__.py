"""Observability: traces, logs, errors and metrics (docs/observability.md)."""
