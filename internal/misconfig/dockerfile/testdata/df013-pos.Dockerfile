FROM debian:12
COPY . .
ADD ./ /src/
COPY --from=build . /out
USER app
HEALTHCHECK CMD true
