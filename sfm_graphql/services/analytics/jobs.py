"""Analysis jobs on Redis, run by `sfm-graphql worker` (saq: progress, abort, heartbeats, retries).

A job is a GraphQL document of analytics fields, run later by a worker with the rights of the
principal who started it; its result is that document's `data`, in exactly the shape the same
document would get from `/graphql`. Jobs live in Redis, so they outlive an API restart; a worker
that dies mid-job stops its heartbeat, and the next sweep of any worker retries the job or marks
it failed (docs/analytics.md, "Background jobs").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from saq import Job, Queue
from saq.job import Status
from saq.queue.base import DEFAULT_SWEPT_JOB_ERROR

from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.settings import Settings

QUEUE_NAME = "sfm-analysis"
RUN_FUNCTION = "run_analysis"


class JobStatus(enum.Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


_STATUS = {
    Status.NEW: JobStatus.QUEUED,
    Status.QUEUED: JobStatus.QUEUED,
    Status.ACTIVE: JobStatus.RUNNING,
    Status.ABORTING: JobStatus.CANCELLED,
    Status.ABORTED: JobStatus.CANCELLED,
    Status.FAILED: JobStatus.FAILED,
    Status.COMPLETE: JobStatus.SUCCEEDED,
}
TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class JobRequest:
    """What a job runs: one query operation of analytics fields, and whose rights it runs with."""

    document: str
    variables: dict[str, Any]
    operation_name: str | None
    owner: Principal

    def to_kwargs(self) -> dict[str, Any]:
        owner = self.owner
        return {
            "document": self.document,
            "variables": self.variables,
            "operation_name": self.operation_name,
            "owner": {
                "subject": owner.subject,
                "kind": owner.kind,
                "issuer": owner.issuer,
                "roles": sorted(r.value for r in owner.roles),
                "mfa": owner.mfa,
                "credential_id": owner.credential_id,
            },
        }

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> JobRequest:
        owner = kwargs["owner"]
        return cls(
            document=kwargs["document"],
            variables=dict(kwargs.get("variables") or {}),
            operation_name=kwargs.get("operation_name"),
            owner=Principal(
                subject=owner["subject"],
                roles=Role.parse_many(owner["roles"]),
                kind=owner["kind"],
                issuer=owner.get("issuer", ""),
                mfa=bool(owner.get("mfa")),
                credential_id=owner.get("credential_id", ""),
            ),
        )


@dataclass(frozen=True, slots=True)
class JobView:
    """A job as its owner sees it."""

    key: str
    status: JobStatus
    progress: float
    result: Any
    error: str | None
    error_code: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    owner_key: str

    def visible_to(self, principal: Principal) -> bool:
        return principal.has_role(Role.ADMIN) or owner_key(principal) == self.owner_key


def owner_key(principal: Principal) -> str:
    """Who owns a job: the same person whichever replica or token they come back with."""
    return f"{principal.kind}:{principal.issuer}:{principal.subject}"


def _time(epoch_ms: int) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC) if epoch_ms else None


CRASHED = "The job stopped unexpectedly (its worker failed or was stopped); start it again"


def view_of(job: Job) -> JobView:
    status = _STATUS[job.status]
    if job.error == DEFAULT_SWEPT_JOB_ERROR and job.status in (Status.ABORTING, Status.ABORTED):
        # A sweep found its worker dead: it is being retried (aborting), or it was the last
        # attempt (aborted): running or failed, never cancelled.
        status = JobStatus.RUNNING if job.status is Status.ABORTING else JobStatus.FAILED
    error: str | None = None
    code: str | None = None
    if status is JobStatus.FAILED:
        # A refused analysis leaves its message and code in `meta`; otherwise saq holds a
        # traceback (a crash) or a fixed text (a sweep), neither of which is for users.
        error = job.meta.get("error") or CRASHED
        code = job.meta.get("code") or "INTERNAL_SERVER_ERROR"
    elif status is JobStatus.CANCELLED:
        error = "Cancelled before it finished"
    result = job.result if status is JobStatus.SUCCEEDED else job.meta.get("data")
    created = _time(job.queued) or dt.datetime.now(dt.UTC)
    return JobView(
        key=job.key,
        status=status,
        progress=1.0 if status is JobStatus.SUCCEEDED else float(job.progress or 0.0),
        result=result,
        error=error,
        error_code=code,
        created_at=created,
        finished_at=_time(job.completed) if status in TERMINAL else None,
        owner_key=str(job.meta.get("owner", "")),
    )


class AnalysisJobs:
    """Starting, reading and cancelling jobs (the API side); `sfm-graphql worker` runs them."""

    def __init__(self, queue: Queue, settings: Settings) -> None:
        self.queue = queue
        self._settings = settings

    @classmethod
    def from_settings(cls, settings: Settings) -> AnalysisJobs:
        return cls(Queue.from_url(settings.redis_url, name=QUEUE_NAME), settings)

    async def connect(self) -> None:
        await self.queue.connect()

    async def close(self) -> None:
        # At shutdown Redis may be gone already: there is nothing left to release then.
        with contextlib.suppress(RedisError, OSError):
            await self.queue.disconnect()

    async def start(self, request: JobRequest) -> JobView:
        s = self._settings
        job = Job(
            function=RUN_FUNCTION,
            key=str(uuid.uuid4()),  # unguessable; the global id of the AnalysisJob
            kwargs=request.to_kwargs(),
            timeout=int(s.analysis_job_timeout_s),
            heartbeat=int(s.analysis_job_heartbeat_s),
            retries=s.analysis_job_retries,
            ttl=int(s.analysis_job_ttl_s),
            meta={"owner": owner_key(request.owner)},
        )
        await self.queue.enqueue(job)
        return view_of(job)

    async def get(self, key: str) -> JobView | None:
        job = await self.queue.job(key)
        return None if job is None else view_of(job)

    async def cancel(self, key: str) -> JobView | None:
        job = await self.queue.job(key)
        if job is None:
            return None
        if _STATUS[job.status] not in TERMINAL:
            await self.queue.abort(job, "Cancelled by its owner")
            job = await self.queue.job(key) or job
        return view_of(job)
