# The operator image. Build: docker build -t ecs-operator .
# The build stage runs the same command as `make release`, which make test runs.

# The toolchain rust-toolchain.toml pins.
FROM docker.io/library/rust:1.95.0-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ecs-operator

# glibc and libgcc only: no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/ecs-operator /usr/local/bin/ecs-operator
# distroless's nonroot user, by number so runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ecs-operator"]
CMD ["run"]
