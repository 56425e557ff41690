#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the test suites drive for real (slapd, Samba AD, xmlsec1,
# the Python SAML peers, oathtool, Chromium, a PostgreSQL server). Idempotent: packages already
# present are not fetched again. The test run's global setup calls it (as root it installs what
# is missing; otherwise it fails with the one command to run), and so does .ci/run via npm test.
#
#   bash scripts/install-system-deps.sh            install what is missing (needs root)
#   bash scripts/install-system-deps.sh --check    only list what is missing; exit 1 if anything is
#   bash scripts/install-system-deps.sh --bench    also the benchmarks' baselines and peers (FreeRADIUS, SimpleSAMLphp)
#   bash scripts/install-system-deps.sh --postgres-bindir   print the PostgreSQL server's bin folder
set -euo pipefail

PACKAGES=(
  slapd ldap-utils                          # OpenLDAP directory tests
  samba samba-ad-provision samba-dsdb-modules samba-vfs-modules  # Active Directory tests (Samba AD DC)
  xmlsec1 libxml2-utils                     # independent XML signature checks
  python3-pysaml2 python3-onelogin-saml2    # independent SAML peers (run with /usr/bin/python3)
  python3-lxml                              # the WS-Federation reader and its schema checks (/usr/bin/python3)
  oathtool                                  # independent OTP cross-checks
  freeradius-utils                          # RADIUS tests (radclient, radtest as the real client)
  chromium                                  # browser tests (playwright-core drives it)
  nginx                                     # forward-auth tests (auth_request in front of an app)
  caddy                                     # forward-auth tests (forward_auth in front of an app)
  fonts-dejavu-core                         # readable screenshots
)
# Only for `npm run bench`, with --bench: its RADIUS baseline is FreeRADIUS on a trivial users file;
# its peer IdP (sso-peer) is SimpleSAMLphp under php-fpm behind nginx (php-xml: SimpleSAMLphp needs
# DOM but Debian's package only recommends it).
BENCH_PACKAGES=(freeradius simplesamlphp php-fpm php-xml)
INSTALL_COMMAND="sudo bash scripts/install-system-deps.sh"

# The folder holding the PostgreSQL server binaries (initdb, pg_ctl), whatever the release:
# pg_config's answer when a server is installed there, else the newest Debian-layout
# /usr/lib/postgresql/<major>/bin (pg_config comes from libpq-dev and may name a client-only
# version). Kept in step with test/support/postgres.ts.
postgres_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

mode=install
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
  --postgres-bindir) postgres_bindir || { echo "no PostgreSQL server found; run: $INSTALL_COMMAND" >&2; exit 1; }; exit 0 ;;
  *) echo "usage: bash scripts/install-system-deps.sh [--check | --bench | --postgres-bindir]" >&2; exit 2 ;;
esac

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
  # Any PostgreSQL server will do; `postgresql` is the distribution's default major version.
  postgres_bindir >/dev/null || echo postgresql
}

mapfile -t missing < <(missing_packages)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

if [ "$mode" = check ]; then
  echo "system packages missing: ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" != 0 ]; then
  echo "system packages missing (${missing[*]}) and not root; run: $INSTALL_COMMAND" >&2
  exit 1
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

mapfile -t still < <(missing_packages)
if [ ${#still[@]} -ne 0 ]; then
  echo "system packages: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "system packages: installed"
