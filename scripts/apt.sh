# Sourced by the setup scripts: install Debian/Ubuntu packages, as root or through sudo, or
# stop with a message that says what is missing.
apt_install() {  # why, packages...
  local why=$1; shift
  local sudo=""
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $why needs $*, and this machine has no apt-get: install them, then run again" >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: $why needs $*: run as root or install sudo (or install them yourself)" >&2
      exit 1
    fi
    sudo="sudo"
  fi
  echo "installing $* ($why)"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

as_root() {  # command...: run it as root (directly or through sudo)
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
