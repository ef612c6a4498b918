# policywatch: the scheduler daemon and every CLI command (ENTRYPOINT policywatch).
#
# Two stages: the first builds a virtualenv from the project (pip, wheels, caches), the second
# copies only that virtualenv onto a clean slim image, so no build tooling or cache remains.
# Chromium comes from Debian (needs_js documents render through scrapy-playwright with it);
# Playwright's own browser download is never used.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY spiders ./spiders
COPY migrations ./migrations
# The project itself, not a registry package: its dependencies are bounded in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install ".[js]"

FROM python:3.11-slim
# Debian's own versions, as security updates ship them (pinning them would block those).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-liberation tzdata \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --user-group policywatch
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    POLICYWATCH_CRAWL_CHROMIUM_PATH=/usr/bin/chromium
USER 10001:10001
WORKDIR /home/policywatch
ENTRYPOINT ["policywatch"]
CMD ["schedule"]
