# syntax=docker/dockerfile:1
# One image for every process of the suite; the command chooses the process, as in the Procfile:
#   docker build -t zhitong .
#   docker run zhitong python -m services.workflow.server
#   docker run zhitong python -m kit.relay workflow
# Settings come from the environment (README, "Configuration"); the container listens on 0.0.0.0.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# The web client, built as `make web` builds it; the gateway serves web/dist at `/`.
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY web/ ./
RUN npm ci --no-audit --no-fund && npm run build

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY proto/ proto/
# What `make proto` runs, without the virtualenv set-up around it.
RUN mkdir gen && python -m grpc_tools.protoc -I proto --python_out=gen --pyi_out=gen --grpc_python_out=gen \
        $(find proto -name '*.proto')
# Code generation, the process supervisor and the test, browser-test and lint tools are not needed at run time.
RUN pip uninstall -y grpcio-tools honcho pytest hypothesis ruff uv playwright
COPY kit/ kit/
COPY services/ services/
COPY data/ data/
# The root filesystem is read-only at run time: compile now, never write __pycache__ later.
RUN python -m compileall -q kit services gen /opt/venv/lib

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app:/app/gen \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ZHITONG_BIND_HOST=0.0.0.0 \
    ZHITONG_VAR_DIR=/var/lib/zhitong
RUN groupadd --system --gid 10001 zhitong \
    && useradd --system --uid 10001 --gid zhitong --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin zhitong \
    && install -d -o 10001 -g 10001 /var/lib/zhitong
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/kit /app/kit
COPY --from=build /app/services /app/services
COPY --from=build /app/data /app/data
COPY --from=build /app/gen /app/gen
COPY --from=web /web/dist /app/web/dist
WORKDIR /app
USER 10001:10001
# gateway HTTP; gRPC of workflow, intake, alerts-api; /metrics of each process.
EXPOSE 8080 50051 50052 50053 50054 50055 9100 9101 9102 9103 9104 9105 9111 9112 9113 9114 9115 9116
CMD ["python", "-m", "services.gateway.server"]
