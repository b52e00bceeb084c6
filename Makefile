# The test command of the README: vet, then every test with the race detector.
# PostgreSQL tests use SUPPORTLINE_TEST_POSTGRES (default: the local server);
# they skip when it is unreachable, unless CI=true, where they fail.
SUPPORTLINE_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export SUPPORTLINE_TEST_POSTGRES

.PHONY: test build bench run
test:
	go vet ./...
	go test -race ./...

build:
	CGO_ENABLED=0 go build -o bin/supportline ./cmd/supportline

bench:
	go test -run '^$$' -bench . -benchmem ./...

run:
	go run ./cmd/supportline serve
