FROM debian:12 AS base
HEALTHCHECK --interval=30s CMD curl -f http://localhost/ || exit 1
FROM base
USER app
