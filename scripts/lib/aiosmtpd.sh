# Sourced by scripts/test and scripts/e2e: aiosmtpd (PyPI), the real SMTP server the e-mail
# tests send to, in a virtualenv under target/; its Python is exported as
# CROCEVIA_TEST_AIOSMTPD. Without python3 the e-mail tests are skipped (outside CI).
if [ -z "${CROCEVIA_TEST_AIOSMTPD:-}" ] && command -v python3 >/dev/null 2>&1; then
  smtpd_venv="${CARGO_TARGET_DIR:-target}/test-venv"
  [ -x "$smtpd_venv/bin/python" ] || python3 -m venv "$smtpd_venv"
  "$smtpd_venv/bin/python" -c 'import aiosmtpd' 2>/dev/null ||
    "$smtpd_venv/bin/pip" install -q --disable-pip-version-check 'aiosmtpd==1.4.6'
  CROCEVIA_TEST_AIOSMTPD="$(cd "$smtpd_venv" && pwd)/bin/python"
  export CROCEVIA_TEST_AIOSMTPD
fi
