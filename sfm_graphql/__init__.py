"""sfm-graphql: a GraphQL service for Social Fabric Matrix analysis, backed by Neo4j."""

__version__ = "0.1.0"
