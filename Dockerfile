# The congress service: one image for the API, the Celery worker and beat, and the one-shot commands
# (migrate, seed, create-organizer). docker-compose.yml picks the process with `command:`.

# Stage 1: build the wheel. What the wheel carries (templates, catalogues, static files) is what production has;
# tests/integration/test_wheel_install.py builds the same wheel and checks it is whole.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY events_app ./events_app
COPY workers ./workers
RUN pip wheel --no-deps -w /dist .

# Stage 2: the runtime image: the wheel with its pinned runtime dependencies only (no dev, test or embedded-server
# extras), no source tree.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY --from=build /dist /tmp/dist
RUN pip install /tmp/dist/*.whl && rm -rf /tmp/dist

# piccolo_conf.py and migrations/ are not part of the package: `python -m events_app.cli migrate` reads them from
# the working directory.
WORKDIR /app
COPY piccolo_conf.py ./
COPY migrations ./migrations

RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin app
USER app

EXPOSE 8000
# --no-proxy-headers: uvicorn never rewrites the client address; the app reads X-Forwarded-For only from the proxies
# named in TRUSTED_PROXIES (events_app/web/abuse.py).
CMD ["uvicorn", "events_app.web.app:create_app", "--factory", "--no-proxy-headers", "--timeout-graceful-shutdown", "8", "--host", "0.0.0.0", "--port", "8000"]
