FROM debian:12
CMD ["a"]
ENTRYPOINT ["x"]
CMD ["b"]
ENTRYPOINT ["y"]
CMD ["c"]
USER app
HEALTHCHECK CMD true
