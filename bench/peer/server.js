// The peer of bench/peer_bench.py: the Neo4j GraphQL Library (@neo4j/graphql 7) on Apollo
// Server 5, one Node.js process, against its own Neo4j. Listens on 127.0.0.1 only.
//
//   PEER_PORT=22601 PEER_NEO4J_URI=bolt://127.0.0.1:7691 PEER_NEO4J_PASSWORD=... \
//   PEER_JWT_SECRET=... node server.js
//
// Prints "peer ready <url>" once it serves.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";
import { typeDefs } from "./typedefs.js";

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`peer: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const port = Number(required("PEER_PORT"));
const driver = neo4j.driver(
  required("PEER_NEO4J_URI"),
  neo4j.auth.basic(process.env.PEER_NEO4J_USER || "neo4j", required("PEER_NEO4J_PASSWORD")),
  // The same pool size as the service's default (SFM_NEO4J_POOL_SIZE).
  { maxConnectionPoolSize: Number(process.env.PEER_NEO4J_POOL_SIZE || 50) },
);
const neoSchema = new Neo4jGraphQL({
  typeDefs,
  driver,
  features: { authorization: { key: required("PEER_JWT_SECRET") } },
});
const schema = await neoSchema.getSchema();
const server = new ApolloServer({ schema, introspection: process.env.PEER_INTROSPECTION === "true" });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port },
  // The library reads the bearer token from `token` and verifies it against the key.
  context: async ({ req }) => ({ token: req.headers.authorization }),
});
console.log(`peer ready ${url}`);

async function shutdown() {
  await server.stop();
  await driver.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
