# Build a static binary (pure-Go SQLite, no cgo) with time zone data embedded.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/supportline ./cmd/supportline \
    && mkdir -p /out/data

# Run as non-root on a minimal image. SQLite data lives in /data.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/supportline /usr/local/bin/supportline
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
ENV SUPPORTLINE_ADDR=:8080 DATABASE_URL=/data/supportline.db
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["supportline", "serve"]
