// Size of the graph for the sfm_graph_nodes_total and sfm_graph_deliveries_total gauges, run
// every metrics_refresh_s by each worker (never per request). Both counts are answered from
// Neo4j's count store (NodeCountFromCountStore, RelationshipCountFromCountStore), so the cost
// does not grow with the graph.
// Parameters: none.
// access: read
CALL () { MATCH (c:Component) RETURN count(c) AS components }
CALL () { MATCH ()-[d:DELIVERS]->() RETURN count(d) AS deliveries }
RETURN components, deliveries
