"""Domain services: validate, then call named Cypher queries. Dependencies are keyword-only."""
