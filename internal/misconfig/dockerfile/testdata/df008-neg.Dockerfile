FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends --only-upgrade openssl && rm -rf /var/lib/apt/lists/*
USER app
HEALTHCHECK CMD true
