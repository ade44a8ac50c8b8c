# syntax=docker/dockerfile:1
# bumper's container image: Python slim + git, runs as a non-root user, ENTRYPOINT bumper.
# Build from the repository root:  docker build -t bumper .
# No token is baked in: pass BUMPER_TOKEN (or GITHUB_TOKEN / GITLAB_TOKEN) at run time.

FROM python:3.12.8-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bumper ./bumper
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12.8-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin bumper
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-index /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GIT_TERMINAL_PROMPT=0
USER 10001:10001
WORKDIR /home/bumper
ENTRYPOINT ["bumper"]
CMD ["--help"]
