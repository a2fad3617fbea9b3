// Declared scenarios, and every scenario name deliveries use with how many deliveries use it.
// Parameters: none.
// access: read
CALL () {
  MATCH ()-[d:DELIVERS]->()
  WITH d.scenario AS name, count(d) AS deliveryCount
  WHERE name IS NOT NULL
  RETURN collect({name: name, deliveryCount: deliveryCount}) AS used
}
CALL () {
  MATCH (s:Scenario)
  RETURN collect(s {.*}) AS declared
}
RETURN used, declared
