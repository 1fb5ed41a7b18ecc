#!/usr/bin/env bash
# Makes PostgreSQL and Redis reachable for the demo, the tests and CI (CONTRACT §6):
#   1. use them if they answer (DATABASE_URL / REDIS_URL, defaults 127.0.0.1:5432 and :6379);
#   2. otherwise `docker compose up -d postgres redis` where a Docker engine runs;
#   3. otherwise, on Debian/Ubuntu as root, install and start the distribution's postgresql and redis-server;
#   4. otherwise stop with a message that says what to install.
# With --test-tools (npm test, the docs scripts) it first makes sure the programs some specs drive are there:
# Chromium (browser specs), poppler-utils (the PDF specs read exports back) and LibreOffice Calc (an XLSX export is
# opened in it). On Debian as root it installs the distribution's packages when missing; elsewhere the specs that
# need a missing one are skipped with a message. No browser build is ever downloaded from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'services: %s\n' "$*"; }
check() { node scripts/check-services.js "$@" >/tmp/export-services.$$ 2>&1; local rc=$?; cat /tmp/export-services.$$ >&2 2>/dev/null || true; rm -f /tmp/export-services.$$; return $rc; }
quiet_check() { node scripts/check-services.js "$@" >/dev/null 2>&1; }

apt_updated=0
# ensure_tool <command> <Debian package> <the specs that need it>
ensure_tool() {
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  if grep -qs '^ID=debian' /etc/os-release && [ "$(id -u)" = 0 ]; then
    say "installing $2 from the distribution's packages (for $3)"
    if [ "$apt_updated" = 0 ]; then apt-get update -qq || true; apt_updated=1; fi
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null; then return 0; fi
    say "could not install $2: $3 will be skipped"
  else
    say "$1 not found: $3 will be skipped (Debian: apt-get install $2)"
  fi
}

if [ "${1:-}" = "--test-tools" ]; then
  shift
  ensure_tool chromium chromium "the browser specs"
  ensure_tool pdftotext poppler-utils "the PDF specs"
  ensure_tool soffice libreoffice-calc-nogui "the XLSX LibreOffice spec"
fi

if [ ! -d node_modules/pg ]; then
  say "node_modules is missing: run npm ci first"
  exit 1
fi

if quiet_check; then
  say "PostgreSQL and Redis answer"
  exit 0
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "starting postgres and redis with docker compose"
  docker compose up -d postgres redis
  if check --wait 60; then exit 0; fi
  say "docker compose started, but the services do not answer yet"
  exit 1
fi

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "installing PostgreSQL from the distribution's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # A fresh development cluster: let local TCP connections in without a password, as DATABASE_URL's default expects.
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    done
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start 2>/dev/null || true
}

start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    say "installing Redis from the distribution's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
}

if [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ]; then
  status=$(node scripts/check-services.js 2>/dev/null || true)
  if grep -q '^postgres: not reachable' <<<"$status"; then say "starting PostgreSQL"; start_postgres; fi
  if grep -q '^redis: not reachable' <<<"$status"; then say "starting Redis"; start_redis; fi
  if check --wait 30; then
    say "PostgreSQL and Redis answer"
    exit 0
  fi
fi

check || true
say "PostgreSQL 15+ and Redis 6.2+ must be reachable at DATABASE_URL and REDIS_URL."
say "Install and start them (Debian/Ubuntu: apt-get install postgresql redis-server), or install Docker and run: docker compose up -d postgres redis"
exit 1
