FROM debian:12
RUN echo hello
HEALTHCHECK CMD true
CMD ["sleep", "infinity"]
