FROM debian:12
RUN curl -fsSL https://get.example.com | sh
RUN wget -qO- https://get.example.com/install.sh | sudo -E bash -
RUN bash -c "$(curl -fsSL https://example.com/install.sh)"
RUN bash <(curl -s https://example.com/i.sh)
USER app
HEALTHCHECK CMD true
