"""Small builders shared by the integration tests."""

from __future__ import annotations

from typing import Any

from tests.services import GraphQLClient

CREATE_COMPONENT = """
mutation($input: CreateComponentInput!) {
  createComponent(input: $input) { component { id uuid label type version } }
}"""
CREATE_DELIVERY = """
mutation($input: CreateDeliveryInput!) {
  createDelivery(input: $input) { delivery { id kind version } }
}"""


async def create_component(gql: GraphQLClient, type_: str, label: str, **fields: Any) -> str:
    data = await gql.data(CREATE_COMPONENT, {"input": {"type": type_, "label": label, **fields}})
    component_id: str = data["createComponent"]["component"]["id"]
    return component_id


async def create_delivery(
    gql: GraphQLClient, source: str, target: str, kind: str, **fields: Any
) -> str:
    data = await gql.data(
        CREATE_DELIVERY, {"input": {"source": source, "target": target, "kind": kind, **fields}}
    )
    delivery_id: str = data["createDelivery"]["delivery"]["id"]
    return delivery_id
