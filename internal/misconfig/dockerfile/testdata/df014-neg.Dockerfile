FROM debian:12
RUN apt-get update && apt-get -o APT::Install-Recommends=false install -y curl && rm -rf /var/lib/apt/lists/*
USER app
HEALTHCHECK CMD true
