#!/usr/bin/env bash
# Installs the Debian packages the test suites drive for real (slapd, xmlsec1, the Python SAML
# peers, oathtool, Chromium). Idempotent: packages already present are not fetched again.
# Needs root (CI and the developers' machines run as root). PostgreSQL 15 ships with the image.
set -euo pipefail

PACKAGES=(
  slapd ldap-utils                          # OpenLDAP directory tests
  samba samba-ad-provision samba-dsdb-modules samba-vfs-modules  # Active Directory tests (Samba AD DC)
  xmlsec1 libxml2-utils                     # independent XML signature checks
  python3-pysaml2 python3-onelogin-saml2    # independent SAML peers (run with /usr/bin/python3)
  oathtool                                  # independent OTP cross-checks
  chromium                                  # browser tests (playwright-core drives it)
  fonts-dejavu-core                         # readable screenshots
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "system packages missing (${missing[*]}) and not root: install them with apt-get" >&2
  exit 1
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed"
