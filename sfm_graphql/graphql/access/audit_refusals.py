"""`AuditRefusals`: mutations refused before execution are audited, sampled against floods.

`AuditMutations` sees only fields that run. A mutation refused by `OperationLimits` before any
resolver (anonymous `UNAUTHENTICATED`, `MAX_COST_EXCEEDED`, `RATE_LIMITED`, the depth, alias
and root-field limits) runs nothing, so this extension records it after the operation: one
`mutation.refused` event naming the caller (principal, or `anonymous` with the client address),
the operation name, the refused root fields and the code as `outcome`. `security.audit_sampling`
keeps an attacker from flooding the log: one event per caller and code per window, with the
number not recorded since the previous one in `details.suppressed`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import FieldNode, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

from sfm_graphql.errors import OperationRefused
from sfm_graphql.graphql.core.context import Context
from sfm_graphql.security.login_guard import address_key, refused_by_gate
from sfm_graphql.services.access import audit

log = logging.getLogger(__name__)

REFUSED = "mutation.refused"
MAX_ROOT_FIELDS = 20


def _refusal(ctx: ExecutionContext) -> OperationRefused | None:
    for error in ctx.pre_execution_errors or ():
        if isinstance(error.original_error, OperationRefused):
            return error.original_error
    return None


def _mutation(ctx: ExecutionContext) -> OperationDefinitionNode | None:
    document = ctx.graphql_document
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if ctx.operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == ctx.operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.MUTATION:
        return None
    return operations[0]


def caller_key(context: Context) -> str:
    """Whom refusals are counted against: the principal, or the address (IPv6 per /64)."""
    principal = context.principal
    if principal.kind == "anonymous":
        return "ip:" + address_key(context.client_ip).removeprefix("failed-login:")
    return f"{principal.kind}:{principal.issuer}:{principal.subject}"


class AuditRefusals(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context
        refusal = _refusal(ctx)
        if refused_by_gate():  # answered by the failed-login gate, as an attempt (not audited)
            return
        operation = _mutation(ctx) if refusal is not None else None
        if refusal is None or operation is None:
            return
        try:
            await _record(ctx.context, operation, refusal)
        except Exception:
            log.exception("could not audit a refused mutation")


async def _record(
    context: Context, operation: OperationDefinitionNode, refusal: OperationRefused
) -> None:
    code = refusal.code.value
    sampler = context.refusal_sampler
    suppressed = 0
    if sampler is not None:
        admitted = await sampler.admit(caller_key(context), code)
        if admitted is None:
            return  # counted; reported with the next recorded refusal of this caller and code
        suppressed = admitted
    fields = [s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)][
        :MAX_ROOT_FIELDS
    ]
    principal = context.principal
    await audit.record_event(
        db=context.db,
        action=REFUSED,
        operation=operation.name.value if operation.name else "",
        principal=principal.subject if principal.kind != "anonymous" else "anonymous",
        principal_kind=principal.kind,
        credential_id=principal.credential_id,
        outcome=code,
        client_ip=context.client_ip,
        request_id=context.request_id,
        details={"rootFields": fields, "suppressed": suppressed},
        personal_fields=context.settings.personal_fields,
    )
