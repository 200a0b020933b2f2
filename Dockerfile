# davbridge: CalDAV/CardDAV for Microsoft 365, Google and Exchange, with its web portal.
# Build:   docker build -t davbridge .
# Deploy:  deploy/compose.yaml runs it behind Caddy (TLS) — see README "Deploy with Docker".
# Ports:   5232 CalDAV/CardDAV (+ /health), 5233 web portal; both plain http for the proxy.
# Volumes: /data (SQLite mirror), /keys (encryption key; or set DAVBRIDGE_SECRET_KEY).
# Every setting is an environment variable DAVBRIDGE_<SECTION>_<OPTION> (README lists them);
# the portal needs DAVBRIDGE_PORTAL_PUBLIC_URL, the https URL browsers use.
# Demo:    docker run --rm -p 5232:5232 davbridge demo --host 0.0.0.0
#          (CalDAV/CardDAV only: the sandboxes' sign-in pages stay inside the container)
# Without the demo: docker build --build-arg DEMO=0 -t davbridge .  leaves the provider
#          emulators (the top-level sandbox package) out of the image; `davbridge demo` then
#          says they are missing. The server never imports them (tests/unit/test_layers.py).
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bridge ./bridge
COPY radicale_plugins ./radicale_plugins
COPY sandbox ./sandbox
ARG DEMO=1
RUN if [ "$DEMO" = "0" ]; then rm -rf sandbox; fi \
    && pip install --no-cache-dir --prefix=/install .

FROM python:3.11.11-slim-bookworm
RUN useradd --system --uid 10001 --home-dir /data --create-home davbridge \
    && install -d -o davbridge -g davbridge -m 0700 /keys \
    && chmod 0700 /data
COPY --from=build /install /usr/local
COPY config/davbridge.example.toml /etc/davbridge/davbridge.toml
ENV DAVBRIDGE_CONFIG=/etc/davbridge/davbridge.toml \
    DAVBRIDGE_SERVER_HOST=0.0.0.0 \
    DAVBRIDGE_SERVER_PORT=5232 \
    DAVBRIDGE_PORTAL_HOST=0.0.0.0 \
    DAVBRIDGE_PORTAL_PORT=5233 \
    DAVBRIDGE_STORE_DATA_DIR=/data \
    DAVBRIDGE_SECRETS_KEY_FILE=/keys/secret.key \
    DAVBRIDGE_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
USER davbridge
VOLUME ["/data", "/keys"]
EXPOSE 5232 5233
# `davbridge health` asks GET /health on the configured [server] port
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["davbridge", "health"]
ENTRYPOINT ["davbridge"]
CMD ["serve"]
