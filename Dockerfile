# syntax=docker/dockerfile:1
# cardvault container image: a static binary on distroless, non-root, for a
# read-only root file system with the data on a volume. How to build and run
# it: docs/DEPLOY.md. The Go version below is go.mod's (a test checks it).

FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
# The version `cardvault --version` prints: --build-arg VERSION=$(git describe --tags --always --dirty)
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
        -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/cardvault ./cmd/cardvault \
    && mkdir -p /out/data && chmod 0700 /out/data

# distroless static: CA certificates, tzdata, /etc/passwd with nonroot (65532),
# no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cardvault /usr/local/bin/cardvault
# The data directory, owned by the runtime user so that a new named volume
# mounted here inherits owner and mode 0700.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CARDVAULT_DATA=/data \
    CARDVAULT_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# SIGTERM starts a drain of up to 30 s: stop with a longer timeout
# (docker stop -t 45, stop_grace_period: 45s in compose).
STOPSIGNAL SIGTERM
# No HEALTHCHECK: the image has no shell or HTTP client and cardvault has no
# health subcommand. Probe GET /healthz from outside (orchestrator HTTP probe).
ENTRYPOINT ["/usr/local/bin/cardvault"]
CMD ["serve"]
