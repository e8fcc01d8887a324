# The operator image. Build: docker build -t ecs-operator .
# The build stage runs the same command as `make release`, which make test runs.

# The toolchain rust-toolchain.toml pins. Both bases are pinned by digest, so a rebuild
# fetches the bytes that were reviewed; docs/operating.md#image says where each digest
# comes from and how to update it (make release refuses a FROM without one).
FROM docker.io/library/rust:1.95.0-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ecs-operator

# glibc and libgcc only: no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
COPY --from=build /src/target/release/ecs-operator /usr/local/bin/ecs-operator
# distroless's nonroot user, by number so runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ecs-operator"]
CMD ["run"]
