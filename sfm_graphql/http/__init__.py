"""HTTP layer of sfm-graphql: web pages and static assets served next to the GraphQL API."""
