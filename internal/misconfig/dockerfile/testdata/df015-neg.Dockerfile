FROM debian:12 AS base
CMD ["a"]
FROM base
ENTRYPOINT ["x"]
CMD ["b"]
USER app
HEALTHCHECK CMD true
