FROM debian:12
USER app
RUN echo hello
USER 0:0
HEALTHCHECK CMD true
