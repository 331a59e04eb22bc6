#!/usr/bin/env bash
# Validates the deployment files offline (CI runs it as the `deploy` check of .ci/run):
#
#   bash scripts/validate-deploy.sh                                  # k8s/ and docker-compose.yml
#   bash scripts/validate-deploy.sh --k8s FILE_OR_DIR... --compose FILE...
#   bash scripts/validate-deploy.sh --install                        # only build the tools
#
# Kubernetes manifests: kubeconform, built from the Go module proxy, in strict mode (an unknown
# field, a wrong type or an unknown kind is an error) against the Kubernetes JSON schemas of each
# version in K8S_VERSIONS. kubeconform fetches its schemas from GitHub, which is out of reach
# here: they come from the kubernetes-validate wheel on PyPI (pinned, hash-checked), rewritten
# into files kubeconform can load (k8s_schemas below).
#
# docker-compose.yml: scripts/compose-check (Go, compose-go: the loader Docker Compose itself
# uses), since the docker CLI here has no compose plugin: the Compose Specification's schema,
# interpolation (with a placeholder JWT_SECRET, which the file requires), the model's
# consistency, and every bind-mounted file and build context present.
#
# The tools and schemas are built once under .servers/tools (gitignored) and reused; a missing
# Go toolchain is installed as scripts/servers.sh does. Exit 1 when a file is invalid.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# find_go, apt_install and SERVERS_DIR (sourcing runs nothing).
# shellcheck source=scripts/servers.sh
source "$HERE/servers.sh"
cd "$ROOT"

TOOLS="$SERVERS_DIR/tools"
KUBECONFORM_VERSION="v0.7.0"
KUBECONFORM_BIN="$TOOLS/kubeconform-$KUBECONFORM_VERSION"
# The Kubernetes JSON schemas: kubernetes-validate ships those of 1.25 to 1.37.
SCHEMA_WHEEL="kubernetes-validate==1.37.0"
SCHEMA_WHEEL_SHA256="85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
SCHEMA_DIR="$TOOLS/k8s-schemas-1.37.0"
# The oldest Kubernetes the manifests are meant for, and the newest schemas we have.
K8S_VERSIONS="${K8S_VERSIONS:-1.31.0 1.37.0}"
COMPOSE_CHECK_SRC="$ROOT/scripts/compose-check"

say() { echo "deploy: $*"; }
fail() {
  echo "deploy: ERROR: $*" >&2
  exit 1
}

# ----------------------------------------------------------------------------------- arguments
k8s=()
compose=()
mode=""
install_only=0
for arg in "$@"; do
  case "$arg" in
  --install) install_only=1 ;;
  --k8s) mode=k8s ;;
  --compose) mode=compose ;;
  -h | --help)
    sed -n '2,5p' "$0"
    exit 0
    ;;
  *)
    case "$mode" in
    k8s) k8s+=("$arg") ;;
    compose) compose+=("$arg") ;;
    *) fail "say --k8s or --compose before $arg" ;;
    esac
    ;;
  esac
done
if [ "$#" -eq 0 ]; then
  k8s=(k8s)
  compose=(docker-compose.yml)
fi

# ------------------------------------------------------------------------------------- install
go_env() {
  export GOTOOLCHAIN="$GO_TOOLCHAIN" GOFLAGS="-buildvcs=false"
}

install_kubeconform() {
  [ -x "$KUBECONFORM_BIN" ] && return 0
  find_go
  go_env
  mkdir -p "$TOOLS"
  local tmp dir
  tmp="$(mktemp -d)"
  say "building kubeconform $KUBECONFORM_VERSION with $(go version | awk '{print $3}')"
  if ! GOBIN="$tmp" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" \
    >"$tmp/install.log" 2>&1; then
    # `go install pkg@version` asks the proxy for the module's version list (its deprecation
    # check), which may be refused (403): build the downloaded module as the main module instead,
    # with its own go.mod and go.sum, as servers.sh does for FerretDB.
    say "go install failed ($(tail -n 1 "$tmp/install.log")); building the downloaded module instead"
    dir="$(cd "$tmp" && go mod init x >/dev/null 2>&1 &&
      go mod download -json "github.com/yannh/kubeconform@$KUBECONFORM_VERSION" |
      sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p' | head -n1)" || true
    [ -n "$dir" ] && [ -d "$dir" ] || {
      rm -rf "$tmp"
      fail "could not download kubeconform $KUBECONFORM_VERSION from the Go module proxy"
    }
    (cd "$dir" && go build -trimpath -o "$tmp/kubeconform" ./cmd/kubeconform) || {
      rm -rf "$tmp"
      fail "building kubeconform failed"
    }
  fi
  mv -f "$tmp/kubeconform" "$KUBECONFORM_BIN"
  rm -rf "$tmp"
}

# The kubernetes-validate wheel holds, per Kubernetes version, a directory `vX.Y.Z-local-strict`
# with one schema per kind (`deployment-apps-v1.json`) whose references point at
# `/api/_definitions.json`, resolved against an https `$id`. kubeconform loads files: drop the
# `$id` and make the references relative, so they resolve to the `_definitions.json` beside them.
k8s_schemas() {
  local missing=() v
  for v in $K8S_VERSIONS; do
    [ -f "$SCHEMA_DIR/v$v-local-strict/_definitions.json" ] || missing+=("$v")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if ! python3 -m pip --version >/dev/null 2>&1; then
    say "installing pip from Debian"
    apt_install python3-pip
  fi
  local tmp
  tmp="$(mktemp -d)"
  printf '%s --hash=sha256:%s\n' "$SCHEMA_WHEEL" "$SCHEMA_WHEEL_SHA256" >"$tmp/requirements.txt"
  say "fetching the Kubernetes JSON schemas ($SCHEMA_WHEEL from PyPI)"
  python3 -m pip download --quiet --disable-pip-version-check --no-input --no-deps \
    --only-binary=:all: --require-hashes -r "$tmp/requirements.txt" -d "$tmp" ||
    fail "pip could not download $SCHEMA_WHEEL"
  mkdir -p "$SCHEMA_DIR"
  python3 - "$tmp"/kubernetes_validate-*.whl "$SCHEMA_DIR" "${missing[@]}" <<'PY' || fail "could not unpack the schemas"
import json, os, shutil, sys, zipfile

wheel, out, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
PREFIX = '/api/_definitions.json#'

def local(node):
    if isinstance(node, dict):
        fixed = {}
        for key, value in node.items():
            if key == '$ref' and isinstance(value, str) and not value.startswith('#'):
                if not value.startswith(PREFIX):
                    raise SystemExit(f'unexpected $ref {value!r}: the wheel layout changed')
                value = '_definitions.json#' + value[len(PREFIX):]
            fixed[key] = local(value)
        return fixed
    if isinstance(node, list):
        return [local(v) for v in node]
    return node

with zipfile.ZipFile(wheel) as z:
    for version in versions:
        folder = f'kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/'
        names = [n for n in z.namelist() if n.startswith(folder) and n.endswith('.json')]
        if not names:
            raise SystemExit(f'no schemas for Kubernetes {version} in {os.path.basename(wheel)}')
        target = os.path.join(out, f'v{version}-local-strict')
        partial = target + '.partial'
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        for name in names:
            doc = json.loads(z.read(name))
            doc.pop('$id', None)
            with open(os.path.join(partial, os.path.basename(name)), 'w') as f:
                json.dump(local(doc), f)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(partial, target)
        print(f"deploy: {len(names)} schemas of Kubernetes {version}")
PY
  rm -rf "$tmp"
}

# Rebuilt whenever its sources change (the binary's name carries their hash).
install_compose_check() {
  local stamp
  stamp="$(cat "$COMPOSE_CHECK_SRC/go.mod" "$COMPOSE_CHECK_SRC/go.sum" "$COMPOSE_CHECK_SRC/main.go" |
    sha256sum | cut -c1-12)"
  COMPOSE_CHECK_BIN="$TOOLS/compose-check-$stamp"
  [ -x "$COMPOSE_CHECK_BIN" ] && return 0
  find_go
  go_env
  mkdir -p "$TOOLS"
  say "building scripts/compose-check with $(go version | awk '{print $3}')"
  (cd "$COMPOSE_CHECK_SRC" && go build -trimpath -o "$COMPOSE_CHECK_BIN.tmp" .) || fail "building compose-check failed"
  mv -f "$COMPOSE_CHECK_BIN.tmp" "$COMPOSE_CHECK_BIN"
}

# ------------------------------------------------------------------------------------ validate
if [ "$install_only" -eq 1 ]; then
  install_kubeconform
  k8s_schemas
  install_compose_check
  say "tools ready"
  exit 0
fi
rc=0
if [ "${#k8s[@]}" -gt 0 ]; then
  install_kubeconform
  k8s_schemas
  for v in $K8S_VERSIONS; do
    say "Kubernetes manifests (${k8s[*]}) against Kubernetes $v, strict (kubeconform $KUBECONFORM_VERSION)"
    "$KUBECONFORM_BIN" -strict -summary -kubernetes-version "$v" \
      -schema-location "$SCHEMA_DIR/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      "${k8s[@]}" || rc=1
  done
fi
if [ "${#compose[@]}" -gt 0 ]; then
  install_compose_check
  say "Compose files (${compose[*]}) with compose-go"
  # Only what the check needs from the environment: the result does not depend on the caller's.
  env -i PATH="$PATH" JWT_SECRET="placeholder-for-validation-only-0123456789" \
    "$COMPOSE_CHECK_BIN" "${compose[@]}" || rc=1
fi
if [ "$rc" -ne 0 ]; then
  say "INVALID deployment files (above)"
else
  say "all valid"
fi
exit "$rc"
