"""The analytics fields of the schema: centrality, paths, reach, loops, communities, jobs."""
