FROM debian:12
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y curl && rm -rf /var/lib/apt/lists/*
USER app
HEALTHCHECK CMD true
