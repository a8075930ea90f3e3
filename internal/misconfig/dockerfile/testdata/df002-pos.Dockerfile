FROM debian:12 AS base
HEALTHCHECK CMD true
FROM debian:12
USER app
