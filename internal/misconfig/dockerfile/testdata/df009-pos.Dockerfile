FROM debian:12
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
FROM alpine:3.20
RUN apk update
USER app
HEALTHCHECK CMD true
