ARG BASE=node:latest
FROM golang AS build
RUN go version
FROM registry.local:5000/team/app AS two
FROM $BASE
USER app
HEALTHCHECK CMD true
