# syntax=docker/dockerfile:1
# openwaba as a container: a static binary (CGO_ENABLED=0: the SQLite
# driver is pure Go) on an empty base, running as an unprivileged user,
# with its state in the /data volume.
#
#   docker build -t openwaba .
#   docker run -p 8080:8080 -v openwaba-data:/data -e OPENWABA_API_KEY=... openwaba
#
# deploy/compose.yaml runs two nodes on PostgreSQL.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# -buildvcs=false: the build context has no .git; openwaba version then
# prints the module version and the Go version.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/openwaba ./cmd/openwaba \
 && mkdir -p /out/data

FROM scratch
# Meta's Graph API is HTTPS: the CA certificates. Time zones are built into
# the binary.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/openwaba /usr/local/bin/openwaba
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV OPENWABA_ADDR=0.0.0.0:8080 \
    OPENWABA_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/openwaba", "health", "--url", "http://127.0.0.1:8080"]
# SIGTERM drains (--drain-grace, 5 s) then waits for sends in flight
# (--shutdown-timeout, 60 s): give docker stop -t 70 or more.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/openwaba"]
CMD ["serve"]
