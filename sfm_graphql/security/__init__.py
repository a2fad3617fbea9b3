"""Security: identities (tokens, API keys), roles and permissions, limits, rate limits, audit."""
