"""Analysis jobs in GraphQL: startAnalysis, analysisJob, cancelAnalysis, analysisProgress."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator

import strawberry
from strawberry.scalars import JSON

from sfm_graphql.errors import BadUserInput, ServiceUnavailable
from sfm_graphql.graphql.analytics.job_documents import check_job_document
from sfm_graphql.graphql.core.context import Info
from sfm_graphql.graphql.core.ids import from_global_id, to_global_id
from sfm_graphql.services.analytics.jobs import (
    TERMINAL,
    AnalysisJobs,
    JobRequest,
    JobStatus,
    JobView,
)

TYPE_NAME = "AnalysisJob"
POLL_S = 0.25  # how often analysisProgress looks at the job
strawberry.enum(JobStatus, name="AnalysisJobStatus", description="Where an analysis job is.")


@strawberry.input(description="One query operation of analytics fields, run as a job.")
class StartAnalysisInput:
    query: str = strawberry.field(
        description="A GraphQL query document whose root fields are analytics fields, e.g. "
        "`{ centrality(measure: PAGERANK) { rank score component { id label } } }`."
    )
    variables: JSON | None = None
    operation_name: str | None = None


@strawberry.type(description="An analysis run in the background; only its owner and admins see it.")
class AnalysisJob:
    id: strawberry.ID
    status: JobStatus
    progress: float = strawberry.field(description="From 0 to 1; 1 once it has succeeded.")
    result: JSON | None = strawberry.field(
        description="The `data` of the job's document, as `/graphql` would answer it."
    )
    error: str | None = strawberry.field(description="Why it failed or stopped.")
    error_code: str | None = strawberry.field(description="The stable code of `error`.")
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, view: JobView) -> AnalysisJob:
        return cls(
            id=strawberry.ID(to_global_id(TYPE_NAME, view.key)),
            status=view.status,
            progress=view.progress,
            result=view.result,
            error=view.error,
            error_code=view.error_code,
            created_at=view.created_at,
            finished_at=view.finished_at,
        )


def _jobs(info: Info) -> AnalysisJobs:
    jobs = info.context.jobs
    if jobs is None:
        raise ServiceUnavailable("Analysis jobs are not available on this service")
    return jobs


def _key(job_id: strawberry.ID) -> str:
    type_name, key = from_global_id(job_id)
    if type_name != TYPE_NAME:
        raise BadUserInput("id must be the id of an analysis job", field="id")
    return key


async def _visible(info: Info, job_id: strawberry.ID) -> JobView | None:
    view = await _jobs(info).get(_key(job_id))
    if view is None or not view.visible_to(info.context.principal):
        return None  # another principal's job is as invisible as one that does not exist
    return view


async def start_analysis(info: Info, input: StartAnalysisInput) -> AnalysisJob:  # noqa: A002
    variables = input.variables
    if variables is not None and not isinstance(variables, dict):
        raise BadUserInput("variables must be a JSON object", field="input.variables")
    jobs = _jobs(info)
    schema = info.schema._schema
    await check_job_document(info.context, schema, input.query, variables, input.operation_name)
    request = JobRequest(
        document=input.query,
        variables=variables or {},
        operation_name=input.operation_name,
        owner=info.context.principal,
    )
    return AnalysisJob.of(await jobs.start(request))


async def analysis_job(info: Info, id: strawberry.ID) -> AnalysisJob | None:  # noqa: A002
    view = await _visible(info, id)
    return None if view is None else AnalysisJob.of(view)


async def cancel_analysis(info: Info, id: strawberry.ID) -> AnalysisJob | None:  # noqa: A002
    view = await _visible(info, id)
    if view is None:
        return None
    cancelled = await _jobs(info).cancel(view.key)
    return None if cancelled is None else AnalysisJob.of(cancelled)


async def analysis_progress(
    info: Info,
    id: strawberry.ID,  # noqa: A002
) -> AsyncGenerator[AnalysisJob, None]:
    """The job each time its status or progress changes, until it has ended."""
    seen: tuple[JobStatus, float] | None = None
    while True:
        view = await _visible(info, id)
        if view is None:
            return
        if (view.status, view.progress) != seen:
            seen = (view.status, view.progress)
            yield AnalysisJob.of(view)
        if view.status in TERMINAL:
            return
        await asyncio.sleep(POLL_S)
