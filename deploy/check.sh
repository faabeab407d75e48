#!/bin/sh
# Validate deploy/ with the tools each file is written for, offline, without installing anything
# from the network: `sh deploy/check.sh` from the repository's root (after `make test`'s .venv).
# Each check that needs a tool this machine lacks says "skipped" instead of failing.
# Results on the development machine are in docs/deploy.md ("Checking the files").
set -u
cd "$(dirname "$0")/.."
venv=.venv/bin
failed=0
say() { printf '%-28s %s\n' "$1" "$2"; }
run() {  # run NAME COMMAND...: one line per check
    name="$1"; shift
    if out="$("$@" 2>&1)"; then say "$name" "ok"; else say "$name" "FAILED"; echo "$out"; failed=1; fi
}

run "compose (compose-spec)" "$venv/check-jsonschema" --builtin-schema vendor.compose-spec \
    deploy/docker-compose.yml
if docker compose version >/dev/null 2>&1; then
    run "docker compose config" env SANDAN_SECRET_KEY=x SANDAN_APP_PASSWORD=x \
        SANDAN_OWNER_PASSWORD=x POSTGRES_PASSWORD=x docker compose -f deploy/docker-compose.yml \
        config --quiet
elif command -v docker-compose >/dev/null; then  # Debian 12's docker-compose 1.29
    run "docker-compose config" env SANDAN_SECRET_KEY=x SANDAN_APP_PASSWORD=x \
        SANDAN_OWNER_PASSWORD=x POSTGRES_PASSWORD=x docker-compose -f deploy/docker-compose.yml \
        config --quiet
else
    say "docker compose config" "skipped (neither docker compose nor docker-compose)"
fi
for manifest in deploy/kubernetes/*.yaml; do
    [ "$(basename "$manifest")" = kustomization.yaml ] && continue
    run "k8s $(basename "$manifest")" "$venv/kubernetes-validate" --strict --quiet \
        -k 1.31.0 "$manifest"
done
if command -v kubectl >/dev/null; then
    run "kustomize build" kubectl kustomize deploy/kubernetes
else
    say "kustomize build" "skipped (no kubectl)"
fi
if command -v systemd-analyze >/dev/null; then
    # the units point at /opt/sandan, which exists only where Sandan is installed
    out="$(systemd-analyze verify --man=no deploy/systemd/*.service deploy/systemd/*.timer 2>&1 \
           | grep -v 'is not executable: No such file or directory' || true)"
    if [ -z "$out" ]; then say "systemd units" "ok"; else say "systemd units" "FAILED"; echo "$out"; failed=1; fi
else
    say "systemd units" "skipped (no systemd-analyze)"
fi
if command -v nginx >/dev/null && command -v openssl >/dev/null; then
    tmp="$(mktemp -d)"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sandan.example.org \
        -keyout "$tmp/privkey.pem" -out "$tmp/fullchain.pem" >/dev/null 2>&1
    sed -e "s|/etc/ssl/sandan/|$tmp/|" -e "s|/var/log/nginx/|$tmp/|" \
        deploy/nginx/sandan.conf > "$tmp/sandan.conf"
    printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n  include %s;\n}\n' \
        "$tmp" "$tmp" "$tmp/sandan.conf" > "$tmp/nginx.conf"
    run "nginx -t" nginx -t -q -e "$tmp/error.log" -c "$tmp/nginx.conf"
    rm -rf "$tmp"
else
    say "nginx -t" "skipped (no nginx or openssl)"
fi
exit "$failed"
