"""The Strawberry schema: root types, extensions and the SDL export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import strawberry
from graphql import GraphQLError, MiddlewareManager
from opentelemetry.trace import Tracer
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from sfm_graphql.graphql import node_resolvers
from sfm_graphql.graphql.access import (
    api_key_resolvers,
    audit_resolvers,
    oauth_resolvers,
    privacy_resolvers,
)
from sfm_graphql.graphql.access import rate_limit as rate_limits
from sfm_graphql.graphql.access.api_key_types import (
    ApiKey,
    ApiKeySecretPayload,
    RevokeApiKeyPayload,
)
from sfm_graphql.graphql.access.audit_events import AuditMutations
from sfm_graphql.graphql.access.audit_refusals import AuditRefusals
from sfm_graphql.graphql.access.audit_types import AuditEventConnection
from sfm_graphql.graphql.access.oauth_types import (
    OAuthClient,
    OAuthClientSecretPayload,
    RevokeOAuthClientPayload,
)
from sfm_graphql.graphql.access.privacy_types import PurgePayload
from sfm_graphql.graphql.access.rate_limit import RateLimit
from sfm_graphql.graphql.analytics import jobs as job_resolvers
from sfm_graphql.graphql.analytics.global_query import GlobalAnalyticsQuery
from sfm_graphql.graphql.analytics.jobs import AnalysisJob
from sfm_graphql.graphql.analytics.traversals import TraversalQuery
from sfm_graphql.graphql.bulk import export_resolvers, import_resolvers
from sfm_graphql.graphql.bulk.export_types import ExportResult
from sfm_graphql.graphql.bulk.import_types import BulkImportPayload
from sfm_graphql.graphql.core import (
    direct,
    enums,  # noqa: F401 (registers enum descriptions)
)
from sfm_graphql.graphql.core.enums import DeliveryKindInfo
from sfm_graphql.graphql.core.errors import ErrorCodes, code_errors
from sfm_graphql.graphql.core.limits import OperationLimits
from sfm_graphql.graphql.core.node import Node
from sfm_graphql.graphql.core.shaped import ShapingExecutor
from sfm_graphql.graphql.core.validation import CACHE_SIZE as VALIDATION_CACHE_SIZE
from sfm_graphql.graphql.core.validation import CachedValidation
from sfm_graphql.graphql.graph import mutation_resolvers, query_resolvers
from sfm_graphql.graphql.graph.mutation_types import (
    ComponentPayload,
    DeleteComponentPayload,
    DeleteDeliveryPayload,
    DeliveryPayload,
)
from sfm_graphql.graphql.graph.result_types import Neighborhood, SearchHit
from sfm_graphql.graphql.graph.types import (
    COMPONENT_CLASSES,
    ComponentConnection,
    Delivery,
    DeliveryConnection,
)
from sfm_graphql.graphql.matrices import resolvers as matrix_resolvers
from sfm_graphql.graphql.matrices.types import (
    DeleteMatrixPayload,
    Matrix,
    MatrixConnection,
    MatrixPayload,
)
from sfm_graphql.graphql.scenarios import resolvers as scenario_resolvers
from sfm_graphql.graphql.scenarios.types import Scenario, ScenarioComparison, ScenarioPayload
from sfm_graphql.observability.graphql_tracing import graphql_tracing
from sfm_graphql.observability.metrics_graphql import GraphQLMetrics
from sfm_graphql.observability.request_context import OperationLogContext
from sfm_graphql.security.permissions import allow
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings


@strawberry.type
class Query(GlobalAnalyticsQuery, TraversalQuery):
    node: Node | None = strawberry.field(
        resolver=node_resolvers.node,
        extensions=allow(Role.VIEWER),
        description="Any object by its global id.",
    )
    nodes: list[Node | None] = strawberry.field(
        resolver=node_resolvers.nodes, extensions=allow(Role.VIEWER)
    )
    components: ComponentConnection = strawberry.field(
        resolver=query_resolvers.components,
        extensions=allow(Role.VIEWER),
        description="Components, keyset-paginated, filtered and sorted.",
    )
    deliveries: DeliveryConnection = strawberry.field(
        resolver=query_resolvers.deliveries, extensions=allow(Role.VIEWER)
    )
    search: list[SearchHit] = strawberry.field(
        resolver=query_resolvers.search,
        extensions=allow(Role.VIEWER),
        description="Full-text search over component labels and descriptions.",
    )
    neighborhood: Neighborhood = strawberry.field(
        resolver=query_resolvers.neighborhood,
        extensions=allow(Role.VIEWER),
        description="Components and deliveries within `depth` hops.",
    )
    delivery_kinds: list[DeliveryKindInfo] = strawberry.field(
        resolver=query_resolvers.delivery_kinds,
        extensions=allow(Role.VIEWER),
        description="The delivery-kind vocabulary with its rules.",
    )
    rate_limit: RateLimit = strawberry.field(
        resolver=rate_limits.rate_limit,
        extensions=allow(Role.VIEWER),
        description="Your rate-limit budget.",
    )
    export_graph: ExportResult = strawberry.field(
        resolver=export_resolvers.export_graph,
        extensions=allow(Role.DATA_MANAGER),
        description="All components and the deliveries (of one scenario, when given) as one "
        "JSON, CSV or GraphML document. A JSON export can be fed back to bulkImport.",
    )
    matrix: Matrix | None = strawberry.field(
        resolver=matrix_resolvers.matrix,
        extensions=allow(Role.VIEWER),
        description="A matrix by its id; null when there is none.",
    )
    matrices: MatrixConnection = strawberry.field(
        resolver=matrix_resolvers.matrices,
        extensions=allow(Role.VIEWER),
        description="Matrices sorted by name.",
    )
    scenarios: list[Scenario] = strawberry.field(
        resolver=scenario_resolvers.scenarios,
        extensions=allow(Role.VIEWER),
        description="Declared scenarios and every scenario deliveries use, by name.",
    )
    compare_scenarios: ScenarioComparison = strawberry.field(
        resolver=scenario_resolvers.compare_scenarios,
        extensions=allow(Role.VIEWER),
        description="Deliveries only in one of two scenarios, and those whose weight changed.",
    )

    # API keys and the audit log (docs/security.md).
    api_keys: list[ApiKey] = strawberry.field(
        resolver=api_key_resolvers.api_keys,
        extensions=allow(Role.VIEWER),
        description="Your API keys (admins: every key), newest first.",
    )
    audit_log: AuditEventConnection = strawberry.field(
        resolver=audit_resolvers.audit_log,
        extensions=allow(Role.ADMIN, sensitive=True),
        description="The audit log, newest first. Read-only: no operation changes or deletes it.",
    )

    # Analysis jobs (docs/analytics.md, "Background jobs").
    analysis_job: AnalysisJob | None = strawberry.field(
        resolver=job_resolvers.analysis_job,
        extensions=allow(Role.ANALYST),
        description="An analysis job you started (admins: any); null when there is none.",
    )

    # OAuth clients of the built-in authorization server (docs/security.md, Identity).
    oauth_clients: list[OAuthClient] = strawberry.field(
        resolver=oauth_resolvers.oauth_clients,
        extensions=allow(Role.ADMIN, sensitive=True),
        description="Clients, newest first; revoked ones with includeRevoked.",
    )


@strawberry.type
class Mutation:
    create_component: ComponentPayload = strawberry.field(
        resolver=mutation_resolvers.create_component, extensions=allow(Role.EDITOR)
    )
    update_component: ComponentPayload = strawberry.field(
        resolver=mutation_resolvers.update_component, extensions=allow(Role.EDITOR)
    )
    delete_component: DeleteComponentPayload = strawberry.field(
        resolver=mutation_resolvers.delete_component,
        extensions=allow(Role.EDITOR),
        description="Refused while the component has deliveries, unless cascade is true.",
    )
    create_delivery: DeliveryPayload = strawberry.field(
        resolver=mutation_resolvers.create_delivery, extensions=allow(Role.EDITOR)
    )
    update_delivery: DeliveryPayload = strawberry.field(
        resolver=mutation_resolvers.update_delivery, extensions=allow(Role.EDITOR)
    )
    delete_delivery: DeleteDeliveryPayload = strawberry.field(
        resolver=mutation_resolvers.delete_delivery, extensions=allow(Role.EDITOR)
    )
    bulk_import: BulkImportPayload = strawberry.field(
        resolver=import_resolvers.bulk_import,
        extensions=allow(Role.DATA_MANAGER),
        description="Create or update many components and deliveries by external key, all or "
        "nothing. Rows with problems are reported in the payload and then nothing is written.",
    )
    bulk_import_file: BulkImportPayload = strawberry.field(
        resolver=import_resolvers.bulk_import_file,
        extensions=allow(Role.DATA_MANAGER),
        description="bulkImport from an uploaded file (GraphQL multipart request) in the JSON or "
        "CSV format of exportGraph. The request needs an Apollo-Require-Preflight or "
        "X-Requested-With header.",
    )
    create_matrix: MatrixPayload = strawberry.field(
        resolver=matrix_resolvers.create_matrix, extensions=allow(Role.ANALYST)
    )
    update_matrix: MatrixPayload = strawberry.field(
        resolver=matrix_resolvers.update_matrix,
        extensions=allow(Role.ANALYST),
        description="Refused with CONFLICT when the matrix is no longer at the given version.",
    )
    delete_matrix: DeleteMatrixPayload = strawberry.field(
        resolver=matrix_resolvers.delete_matrix,
        extensions=allow(Role.ANALYST),
        description="Deletes the matrix, never its components or deliveries.",
    )
    create_scenario: ScenarioPayload = strawberry.field(
        resolver=scenario_resolvers.create_scenario,
        extensions=allow(Role.ANALYST),
        description="Declares a scenario; CONFLICT when one of that name is declared already.",
    )

    start_analysis: AnalysisJob = strawberry.field(
        resolver=job_resolvers.start_analysis,
        extensions=allow(Role.ANALYST),
        description="Queues a query of analytics fields as a background job; its cost is spent "
        "now. Follow it with analysisJob or the analysisProgress subscription.",
    )
    cancel_analysis: AnalysisJob | None = strawberry.field(
        resolver=job_resolvers.cancel_analysis,
        extensions=allow(Role.ANALYST),
        description="Stops a queued or running job of yours; null when there is none.",
    )

    # API keys (own keys; admins any key) and personal-data erasure (docs/security.md).
    create_api_key: ApiKeySecretPayload = strawberry.field(
        resolver=api_key_resolvers.create_api_key,
        extensions=allow(Role.VIEWER, sensitive=True),
        description="Issues a key with roles no higher than yours; the key is shown only here.",
    )
    rotate_api_key: ApiKeySecretPayload = strawberry.field(
        resolver=api_key_resolvers.rotate_api_key,
        extensions=allow(Role.VIEWER, sensitive=True),
        description="A new secret, shown once; the old one is refused at once.",
    )
    revoke_api_key: RevokeApiKeyPayload = strawberry.field(
        resolver=api_key_resolvers.revoke_api_key,
        extensions=allow(Role.VIEWER, sensitive=True),
        description="Refused at once, on every replica.",
    )
    purge_personal_data: PurgePayload = strawberry.field(
        resolver=privacy_resolvers.purge_personal_data,
        extensions=allow(Role.DATA_MANAGER, sensitive=True),
        description="Removes an individual ACTOR's personal data; keeps the node and deliveries.",
    )

    # OAuth clients of the built-in authorization server (docs/security.md, Identity).
    register_oauth_client: OAuthClientSecretPayload = strawberry.field(
        resolver=oauth_resolvers.register_oauth_client,
        name="registerOAuthClient",
        extensions=allow(Role.ADMIN, sensitive=True),
        description="A client for the client_credentials grant; its secret is shown only here.",
    )
    rotate_oauth_client_secret: OAuthClientSecretPayload = strawberry.field(
        resolver=oauth_resolvers.rotate_oauth_client_secret,
        name="rotateOAuthClientSecret",
        extensions=allow(Role.ADMIN, sensitive=True),
        description="A new secret, shown once; the old one stops working at once.",
    )
    revoke_oauth_client: RevokeOAuthClientPayload = strawberry.field(
        resolver=oauth_resolvers.revoke_oauth_client,
        name="revokeOAuthClient",
        extensions=allow(Role.ADMIN, sensitive=True),
        description="The client gets no new tokens; those it holds expire within minutes.",
    )


@strawberry.type
class Subscription:
    analysis_progress = strawberry.subscription(
        resolver=job_resolvers.analysis_progress,
        extensions=allow(Role.ANALYST),
        description="The job each time its status or progress changes, until it ends "
        "(graphql-transport-ws on /graphql).",
    )


class SfmSchema(strawberry.Schema):
    hide_suggestions: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Nested fields read what their root fetched, without Strawberry's per-field wrapper
        # (graphql/core/direct.py); the SDL does not change.
        direct.install(self._schema)

    def _get_middleware_manager(self, extensions: list[SchemaExtension]) -> MiddlewareManager:
        # The extensions' `resolve` hooks (audit, resolver spans) around every field but those.
        return direct.DirectMiddleware(*(e for e in extensions if e._implements_resolve()))

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        # An exception escaping an extension hook skips ErrorCodes: Strawberry answers it with
        # the exception's own text and no code. Every error leaves with a code.
        if result.errors:
            result.errors = code_errors(result.errors, hide_suggestions=self.hide_suggestions)
        return result

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        # Subscriptions (analysisProgress over a WebSocket): every error leaves with a code too.
        result = await super().stream(*args, **kwargs)
        if isinstance(result, ExecutionResult):
            return self._coded(result)
        return self._coded_stream(result)

    async def _coded_stream(self, results: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for result in results:
            yield self._coded(result) if isinstance(result, ExecutionResult) else result

    def _coded(self, result: ExecutionResult) -> ExecutionResult:
        if result.errors:
            result.errors = code_errors(result.errors, hide_suggestions=self.hide_suggestions)
        return result

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        # graphql-core's execution (variable and argument coercion) without "Did you mean ...?".
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        return {**kwargs, "hide_suggestions": self.hide_suggestions}

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are the client's to handle; unexpected ones are logged, with an id,
        # by the ErrorCodes extension. Strawberry's default would log every error with a traceback.
        return


def build_schema(
    settings: Settings | None = None, *, tracer: Tracer | None = None
) -> strawberry.Schema:
    settings = settings or Settings()
    # With introspection off (production), "Did you mean ...?" would leak the schema anyway.
    hide_suggestions = not settings.introspection_enabled
    schema = SfmSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*COMPONENT_CLASSES.values(), Delivery],
        extensions=[
            GraphQLMetrics,  # first: its timing encloses the whole operation, limits included
            *_observability(settings, tracer),
            ErrorCodes,
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            # A repeated document is parsed once per process (within the token limit above,
            # which the cache key includes); the documents are never modified after parsing.
            lambda: ParserCache(maxsize=VALIDATION_CACHE_SIZE),
            # A repeated document is validated once per process (most of a cheap read's time).
            lambda: CachedValidation(hide_suggestions=hide_suggestions),
            OperationLimits,
            AuditMutations,
            AuditRefusals,  # mutations refused before execution (sampled)
        ],
        config=StrawberryConfig(disable_field_suggestions=hide_suggestions),
        # Objects below planned root fields completed in one pass (graphql/core/shaped.py).
        execution_context_class=ShapingExecutor,
    )
    schema.hide_suggestions = hide_suggestions
    return schema


def _observability(settings: Settings, tracer: Tracer | None) -> list[Any]:
    """Operation and resolver spans (tracing on) and the log context. Listed before ErrorCodes,
    they enclose it, so they see the coded errors (docs/observability.md)."""
    found: list[Any] = [OperationLogContext]
    if tracer is not None:
        found.insert(0, graphql_tracing(tracer, include_document=settings.trace_include_document))
    return found


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
