FROM debian:12
ADD https://example.com/tool.tar.gz /opt/
ADD git@github.com:moby/buildkit.git /src
USER app
HEALTHCHECK CMD true
