# syntax=docker/dockerfile:1
# sfm-graphql: a two-stage image. The builder resolves the locked dependencies with uv;
# the runtime stage holds only the virtual environment and the code, runs as a non-root
# user, and reports health through /healthz (see docs/deployment.md).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PIP_NO_CACHE_DIR=1
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /src
# Dependencies first, so code changes do not invalidate this layer.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY sfm_graphql ./sfm_graphql
COPY cypher ./cypher
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="sfm-graphql" \
      org.opencontainers.image.description="GraphQL service for Social Fabric Matrix analysis, backed by Neo4j" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SFM_HOST=0.0.0.0 \
    SFM_PORT=8000 \
    SFM_ENVIRONMENT=production \
    SFM_MIGRATE_ON_START=false
RUN groupadd --system --gid 10001 sfm \
    && useradd --system --uid 10001 --gid sfm --no-create-home --shell /usr/sbin/nologin sfm
COPY --from=builder --chown=root:root /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["sfm-graphql"]
CMD ["serve"]
