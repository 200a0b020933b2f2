# davbridge: CalDAV/CardDAV bridge for Microsoft 365, Google and Exchange.
# Build: docker build -t davbridge .
# Run:   docker run -p 5232:5232 -v davbridge-data:/data -e DAVBRIDGE_GRAPH_CLIENT_ID=… \
#          -e DAVBRIDGE_GRAPH_CLIENT_SECRET=… -e DAVBRIDGE_SECRET_KEY=… davbridge
# Demo:  docker run -p 5232:5232 davbridge demo --host 0.0.0.0
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bridge ./bridge
COPY radicale_plugins ./radicale_plugins
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --system --home-dir /data --create-home davbridge
COPY --from=build /install /usr/local
COPY config/davbridge.example.toml /etc/davbridge/davbridge.toml
ENV DAVBRIDGE_SERVER_HOST=0.0.0.0 \
    DAVBRIDGE_STORE_DATA_DIR=/data \
    DAVBRIDGE_LOG_FORMAT=json
USER davbridge
VOLUME ["/data"]
EXPOSE 5232
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5232/health').status == 200 else 1)"
ENTRYPOINT ["davbridge"]
CMD ["serve", "--config", "/etc/davbridge/davbridge.toml"]
