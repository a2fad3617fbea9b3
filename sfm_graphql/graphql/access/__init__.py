"""API keys, OAuth clients, the audit log, personal-data purges, the caller's rate-limit budget."""
