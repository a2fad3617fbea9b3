// The peer's own type definitions for the benchmark graph, in the Neo4j GraphQL Library's
// layout: one node label per component type (no shared :Component label), deliveries as
// DELIVERS relationships with their properties. Every operation needs a valid JWT
// (`@authentication` on the schema), verified with the key the server is given.

const COMMON = `
  id: ID!
  label: String!
  description: String
  certainty: Float
  dataQuality: String
  externalKey: String
  metadataJson: String
  version: Int
  createdAt: DateTime
  updatedAt: DateTime`;

// The fields each type adds: the property names the service's `to_properties` writes, so both
// databases hold the same values (nested values are JSON text in both).
export const TYPES = {
  Actor: "sector: String\n  legalForm: String\n  powerResourcesJson: String",
  Institution: "layer: String\n  legitimacyBasis: String\n  changeResistance: Float",
  Policy: "authority: String\n  enforcement: Float\n  targetSectors: [String!]",
  PolicyInstrument: "instrumentType: String\n  targetBehavior: String",
  Resource: "resourceType: String\n  unit: String",
  Process: "technology: String",
  ValueSystem: "legitimacySource: String\n  priorityWeight: Float",
  BeliefSystem: "domain: String\n  strength: Float",
  TechnologySystem: "maturity: Int",
  EcologicalSystem: "ecosystemType: String",
  Indicator:
    "valueCategory: String\n  unit: String\n  currentValue: Float\n  targetValue: Float\n" +
    "  thresholdsJson: String",
};

const DELIVERY = `
type Delivery @relationshipProperties {
  id: ID!
  kind: String!
  deliveryType: String
  weight: Float
  certainty: Float
  description: String
  scenario: String
  timeSlice: String
  spatialUnit: String
  externalKey: String
  quantity: Float
  unit: String
  validFrom: Date
  validTo: Date
  metadataJson: String
  ceremonialScore: Float
  instrumentalScore: Float
  version: Int
  createdAt: DateTime
  updatedAt: DateTime
}`;

const RELATIONSHIPS = `
  outgoing: [Component!]!
    @relationship(type: "DELIVERS", direction: OUT, properties: "Delivery")
  incoming: [Component!]!
    @relationship(type: "DELIVERS", direction: IN, properties: "Delivery")`;

function nodeType(name, fields) {
  return `type ${name} implements Component @node(labels: ["${name}"]) {${COMMON}\n  ${fields}${RELATIONSHIPS}\n}`;
}

export const typeDefs = [
  "extend schema @authentication",
  `interface Component {${COMMON}
  outgoing: [Component!]! @declareRelationship
  incoming: [Component!]! @declareRelationship
}`,
  DELIVERY,
  ...Object.entries(TYPES).map(([name, fields]) => nodeType(name, fields)),
].join("\n\n");
