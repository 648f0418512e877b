#!/usr/bin/env bash
# Debian packages peacewatch needs beyond Python: Chromium (briefing test in a real browser),
# poppler-utils (PDF checks), Pango and fonts (WeasyPrint PDFs), PostgreSQL (the server store and
# its tests; scripts/postgres.sh starts a private cluster), Java 17 (Spark panels), and npm for
# the web app's browser libraries (Leaflet) when no node/npm is on the machine. Installs only
# what is missing.
set -euo pipefail
PACKAGES=(chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core postgresql openjdk-17-jre-headless)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "peacewatch: missing Debian packages: ${missing[*]} (run as root: apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
