# Build a static binary (pure-Go SQLite, no cgo) with time zone data embedded.
FROM golang:1.26 AS build
# The build context leaves out .git (.dockerignore), so Go cannot stamp the
# revision itself; pass it: docker build --build-arg REVISION=$(git rev-parse HEAD) .
ARG REVISION=""
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.revision=${REVISION} -X main.buildTime=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      -o /out/supportline ./cmd/supportline \
    && mkdir -p /out/data

# Run as non-root on a minimal image. SQLite data lives in /data.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/supportline /usr/local/bin/supportline
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
# The admin listener (metrics, later the admin API and console) listens on
# every interface inside the container, where 127.0.0.1 would be unreachable;
# publish it to the host's loopback or a private network only, e.g.
# -p 8080:8080 -p 127.0.0.1:8081:8081.
ENV SUPPORTLINE_ADDR=:8080 SUPPORTLINE_ADMIN_ADDR=:8081 DATABASE_URL=/data/supportline.db
USER nonroot:nonroot
EXPOSE 8080 8081
# distroless has no shell and no curl: the binary probes itself, in exec
# form (there is no shell to run a string). Without --url, `supportline
# health` asks http://127.0.0.1<port of SUPPORTLINE_ADDR>/readyz, so the
# check follows a changed -e SUPPORTLINE_ADDR; it exits 0 when ready, 1
# otherwise, and gives up after --timeout, within Docker's own timeout.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/supportline", "health", "--timeout", "3s"]
ENTRYPOINT ["supportline", "serve"]
