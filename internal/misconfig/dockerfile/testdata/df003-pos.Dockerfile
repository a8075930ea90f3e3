FROM debian:12
ADD app.conf /etc/app.conf
ADD ["bin/", "/usr/local/bin/"]
ADD <<EOT /etc/motd
hello
EOT
USER app
HEALTHCHECK CMD true
