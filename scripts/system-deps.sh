#!/usr/bin/env bash
# Installs the system packages CarePulse needs beyond Python: Debian's Chromium and a font (the PDF
# report, browser tests), a PostgreSQL server (storage tests) and poppler-utils (PDF checks).
# Usage: system-deps.sh [browser] [postgres] [poppler]   (no argument: all three)
# Where they cannot be installed, says why; the report then says how to get a browser, and the
# tests skip with that reason (in CI they fail).
set -u
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(browser postgres poppler)
packages=()
for need in "${wanted[@]}"; do
    case "$need" in
        browser)
            command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
                || command -v google-chrome >/dev/null || packages+=(chromium)
            # Chromium draws no text without a font; Debian's minimal images have none.
            fc-list 2>/dev/null | grep -q . || packages+=(fonts-dejavu-core fontconfig) ;;
        postgres)
            ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null \
                || packages+=(postgresql) ;;
        poppler)
            command -v pdftoppm >/dev/null || packages+=(poppler-utils) ;;
        *) echo "system-deps: unknown need '$need' (browser, postgres, poppler)"; exit 2 ;;
    esac
done
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-deps: cannot install ${packages[*]} (needs root and apt-get); install them yourself"
    exit 0
fi
echo "system-deps: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || echo "system-deps: apt-get could not install ${packages[*]}"
exit 0
