# The deploy tool as a container image, driving the host's engine through its socket (as Kamal ships one):
#
#   docker build -t deploy-orchestrator .
#   docker run --rm --network host -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD:/work" -w /work \
#     deploy-orchestrator all main
#
# --network host lets the health gate reach the ports services publish on the host's 127.0.0.1. BASE is any image
# with Node >= 20.19 and npm; on a Debian-based one without git, git is installed with apt.
ARG BASE=node:20-slim

# The package, built from this checkout as `npm pack` builds it (prepack), then installed as `npm install -g`
# installs it: only the runtime dependencies come along. Install scripts are skipped: the slim image has no
# compiler for ssh2's optional native parts, and ssh2 works without them.
FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm pack --pack-destination /tmp \
  && npm install -g --prefix /opt/deploy --no-audit --no-fund --ignore-scripts /tmp/deploy-orchestrator-*.tgz

FROM ${BASE}
RUN command -v git >/dev/null || { apt-get update \
  && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
  && rm -rf /var/lib/apt/lists/*; } \
  # The mounted project belongs to the host's user, not the container's: git would refuse it as `dubious`.
  && git config --system --add safe.directory '*'
COPY --from=build /opt/deploy/ /usr/local/
WORKDIR /work
ENTRYPOINT ["deploy"]
CMD ["--help"]
