# The test command of the README: vet, then every test with the race detector.
# PostgreSQL tests use SUPPORTLINE_TEST_POSTGRES (default: the local server);
# they skip when it is unreachable, unless CI=true, where they fail.
SUPPORTLINE_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export SUPPORTLINE_TEST_POSTGRES

.PHONY: test build bench run docker
test:
	go vet ./...
	go test -race ./...

# -buildvcs=auto overrides a GOFLAGS=-buildvcs=false in the environment, so
# that `supportline version` names the revision when built from a checkout.
build:
	CGO_ENABLED=0 go build -buildvcs=auto -o bin/supportline ./cmd/supportline

bench:
	go test -run '^$$' -bench . -benchmem ./...

run:
	go run ./cmd/supportline serve

# The image, stamped with the checkout's revision (its build context has no .git).
docker:
	docker build --build-arg REVISION=$$(git rev-parse HEAD) -t supportline .
