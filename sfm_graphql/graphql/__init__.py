"""The GraphQL API: Strawberry types, resolvers, the selection planner and schema extensions."""
