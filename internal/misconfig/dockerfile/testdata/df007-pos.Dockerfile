FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl
RUN apk add curl
RUN pip install --upgrade requests
RUN python3 -m pip install flask
RUN dnf install -y httpd
USER app
HEALTHCHECK CMD true
