# Shell helpers shared by .ci/run and the scripts in scripts/ (sourced, never run).
#
#   as_root CMD...             runs CMD as root: directly when root, else through sudo
#   apt_install PKG...         apt-get install, with one `apt-get update` first per shell
#   apt_install_no_start PKG... the same, with service starts forbidden during the install
#   port_in_use PORT           true when something listens on 127.0.0.1:PORT
#   free_port PORT             prints PORT, or the next port above it that nothing listens on

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    echo "need root (or sudo) for: $*" >&2
    return 1
  fi
}

LIB_APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || {
    echo "apt-get not found; install $* by hand" >&2
    return 1
  }
  if [ "$LIB_APT_UPDATED" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || return 1
    LIB_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
}

# Debian's nginx and postgresql packages start a system service from their postinst; the tests
# run servers of their own on loopback. A policy-rc.d answering 101 forbids service starts.
apt_install_no_start() {
  local policy=/usr/sbin/policy-rc.d added=0 rc=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    added=1
  fi
  apt_install "$@" || rc=$?
  if [ "$added" -eq 1 ]; then
    as_root rm -f "$policy"
  fi
  return "$rc"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p="$1"
  while port_in_use "$p"; do
    p=$((p + 1))
  done
  echo "$p"
}
