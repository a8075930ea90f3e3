FROM node
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
USER node
HEALTHCHECK CMD node healthcheck.js
CMD ["node", "server.js"]
