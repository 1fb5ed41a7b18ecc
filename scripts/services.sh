#!/usr/bin/env bash
# Makes PostgreSQL and Redis reachable for the demo, the tests and CI (CONTRACT §6):
#   1. use them if they answer (DATABASE_URL / REDIS_URL, defaults 127.0.0.1:5432 and :6379);
#   2. otherwise `docker compose up -d postgres redis` where a Docker engine runs;
#   3. otherwise, on Debian/Ubuntu as root, install and start the distribution's postgresql and redis-server;
#   4. otherwise stop with a message that says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'services: %s\n' "$*"; }
check() { node scripts/check-services.js "$@" >/tmp/export-services.$$ 2>&1; local rc=$?; cat /tmp/export-services.$$ >&2 2>/dev/null || true; rm -f /tmp/export-services.$$; return $rc; }
quiet_check() { node scripts/check-services.js "$@" >/dev/null 2>&1; }

if [ ! -d node_modules/pg ]; then
  say "node_modules is missing: run npm ci first"
  exit 1
fi

# The XLSX specs open an export in LibreOffice (headless) where it is installed, and skip that check, saying so,
# where it is not. On Debian/Ubuntu as root it is installed here (Calc only, no GUI).
if ! command -v soffice >/dev/null 2>&1 && [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ]; then
  say "installing LibreOffice Calc (headless) for the XLSX specs"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null; } ||
    say "LibreOffice could not be installed: the XLSX LibreOffice spec will be skipped"
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
