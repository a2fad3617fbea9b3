"""The access domain: API keys, OAuth clients, the audit log and persisted operations, each a
data service with its own Cypher (the mechanics they use are in sfm_graphql/security/)."""
