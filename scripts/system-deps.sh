#!/usr/bin/env bash
# Installs the system packages the tests need: a PostgreSQL server (storage tests), Debian's
# Chromium (browser tests, driven by Playwright) and poppler-utils (PDF checks).
# Where they cannot be installed, says why; the tests then skip with that reason (not in CI).
set -u
packages=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || packages+=(postgresql)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || packages+=(chromium)
command -v pdftoppm >/dev/null || packages+=(poppler-utils)
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-deps: cannot install ${packages[*]} (needs root and apt-get); those tests will skip"
    exit 0
fi
echo "system-deps: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || echo "system-deps: apt-get could not install ${packages[*]}; those tests will skip"
exit 0
