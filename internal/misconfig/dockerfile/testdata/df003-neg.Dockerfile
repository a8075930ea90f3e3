FROM debian:12
ADD rootfs.tar.xz /
ADD vendor.tgz /opt/
COPY app.conf /etc/app.conf
ADD ${ARTIFACT} /opt/
USER app
HEALTHCHECK CMD true
