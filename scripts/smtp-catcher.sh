#!/usr/bin/env bash
# A local SMTP server that keeps what it receives, to try ticketd's e-mail and for the
# tests (scripts/smtp_catcher.py does the work, on aiosmtpd from PyPI).
#
#   ./scripts/smtp-catcher.sh --dir /tmp/mail --port 2525   catch mail on 127.0.0.1:2525;
#                                                            each message lands in /tmp/mail
#                                                            as NNNNNN.eml (+ NNNNNN.json)
#   ./scripts/smtp-catcher.sh --dir /tmp/mail               on a free port (printed)
#   ./scripts/smtp-catcher.sh --install                     only install aiosmtpd and exit
#
# Then run ticketd with TICKETD_SMTP_URL=smtp://127.0.0.1:2525 and
# TICKETD_MAIL_FROM='Acme Support <support@acme.test>'.
#
# aiosmtpd (pinned below) goes to a virtualenv in ${XDG_CACHE_HOME:-~/.cache}/ticketd/,
# created on first use (under a lock: tests start several catchers at once).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

AIOSMTPD_VERSION=1.4.6
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/ticketd/aiosmtpd-$AIOSMTPD_VERSION"
PY="$VENV/bin/python"

installed() {
    [ -x "$PY" ] && "$PY" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null
}

install_aiosmtpd() {
    installed && return
    mkdir -p "$(dirname "$VENV")"
    exec 9>"$VENV.lock"
    flock 9
    if ! installed; then
        echo "installing aiosmtpd $AIOSMTPD_VERSION into $VENV" >&2
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" >&2
    fi
    flock -u 9
    exec 9>&-
}

case "${1:-}" in
    --install) install_aiosmtpd; exit 0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac

install_aiosmtpd
exec "$PY" "$here/smtp_catcher.py" "$@"
