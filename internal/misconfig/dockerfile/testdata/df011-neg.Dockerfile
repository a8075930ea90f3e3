FROM debian:12
RUN echo "no sudo here" > /etc/motd
USER app
HEALTHCHECK CMD true
