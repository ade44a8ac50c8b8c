# syntax=docker/dockerfile:1
# bumper's container image: Python slim + git, runs as a non-root user, ENTRYPOINT bumper.
# Build from the repository root:  docker build -t bumper .
# No token is baked in: pass BUMPER_TOKEN (or GITHUB_TOKEN / GITLAB_TOKEN) at run time.
#
# The dependencies are exactly uv.lock's (each file checked against its hash), installed by the uv
# pinned in .ci/uv.txt: the same set, and the same installer, as the GitHub Action and CI.
# The base image is pinned by digest (the multi-arch index of python:3.12.8-slim-bookworm);
# release.yml passes it again as PYTHON_IMAGE so a rebuild never picks up a moved tag.
ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm@sha256:2199a62885a12290dc9c5be3ca0681d367576ab7bf037da120e564723292a2f0

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY .ci/uv.txt /tmp/uv.txt
RUN pip install --no-cache-dir --root-user-action=ignore --no-deps -r /tmp/uv.txt
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/bumper
# Dependencies first (a layer that changes only with uv.lock), then bumper itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --no-cache --frozen --no-default-groups --no-install-project
COPY bumper ./bumper
RUN uv sync --no-cache --frozen --no-default-groups --no-editable

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="bumper" \
      org.opencontainers.image.description="Bump container image references in a GitOps manifests repository and open the pull request, from CI." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin bumper
COPY --from=build /opt/bumper /opt/bumper
ENV PATH=/opt/bumper/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GIT_TERMINAL_PROMPT=0
USER 10001:10001
WORKDIR /home/bumper
ENTRYPOINT ["bumper"]
CMD ["--help"]
