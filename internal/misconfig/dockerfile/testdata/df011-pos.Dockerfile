FROM debian:12
RUN sudo -u app make install
USER app
HEALTHCHECK CMD true
