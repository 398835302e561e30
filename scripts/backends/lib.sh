# shellcheck shell=bash
# Sourced by the backend scripts: status lines and checks that need no client installed.
# Nothing here is exported; every script sources it for itself.

# One line per backend, same columns everywhere, so a log of `up.sh` reads as a table.
backend_line() { # name state detail
  printf '%-9s %-8s %s\n' "$1" "$2" "$3"
}

# True when something accepts TCP connections on host:port. Bash's /dev/tcp works on a
# machine without any database client installed; `timeout` keeps a dropped SYN from hanging.
tcp_open() { # host port
  timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

have() { command -v "$1" >/dev/null 2>&1; }

# Installing packages is the last resort, on a bare Debian machine only, and needs root.
can_apt_install() {
  have apt-get && [[ "$(id -u)" == 0 ]]
}

apt_install() { # package...
  echo "  installing Debian packages: $*" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# Seconds with one decimal since a start taken with `date +%s%N`.
elapsed_since() { # start_ns
  local now
  now=$(date +%s%N)
  awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1fs", (b - a) / 1e9 }'
}
