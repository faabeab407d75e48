#!/bin/sh
# Usage: sandan-alert.sh UNIT — send UNIT's status and its last 30 log lines to the operators.
# /etc/sandan/alert.env may set (not SANDAN_* names: those belong to Sandan itself):
#   ALERT_EMAIL=ops@example.org             needs a local sendmail (postfix, msmtp-mta...)
#   ALERT_WEBHOOK=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY   a WeCom robot
#                                           (a DingTalk robot URL works the same way)
# Exits non-zero when no channel is configured, so that the failure stays visible in the journal.
set -eu
unit="$1"
host="$(hostname -f 2>/dev/null || hostname)"
subject="[sandan] $unit failed on $host"
body="$(systemctl status --no-pager --lines=0 "$unit" 2>&1 || true)
$(journalctl --no-pager --unit="$unit" --lines=30 --output=cat 2>&1 || true)"
sent=0
if [ -n "${ALERT_EMAIL:-}" ]; then
    printf 'To: %s\nSubject: %s\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
        "$ALERT_EMAIL" "$subject" "$body" | /usr/sbin/sendmail -t
    sent=1
fi
if [ -n "${ALERT_WEBHOOK:-}" ]; then
    text="$(printf '%s\n%s' "$subject" "$body" | head -c 1800 | python3 -c \
        'import json, sys; print(json.dumps({"msgtype": "text", "text": {"content": sys.stdin.read()}}))')"
    curl --fail --silent --show-error --max-time 20 -H 'Content-Type: application/json' \
        -d "$text" "$ALERT_WEBHOOK" >/dev/null
    sent=1
fi
[ "$sent" = 1 ] || { echo "$subject (no ALERT_EMAIL or ALERT_WEBHOOK configured)" >&2; exit 1; }
