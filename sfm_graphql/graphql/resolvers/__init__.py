"""Thin resolvers: read the context, plan the selection, call services and composed queries."""
