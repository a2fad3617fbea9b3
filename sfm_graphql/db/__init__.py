"""Neo4j access: the Cypher registry, the driver wrapper and the migrations. Only this layer
talks to the driver."""
