ARG VERSION=1.23
FROM golang:${VERSION} AS build
RUN go version
FROM scratch AS empty
FROM registry.local:5000/team/app:2.1 AS two
FROM debian@sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d AS pinned
FROM build
FROM $UNKNOWN AS unknown
FROM BUILD
USER app
HEALTHCHECK CMD true
