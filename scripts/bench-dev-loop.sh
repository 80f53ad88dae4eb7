#!/usr/bin/env bash
# Change-to-live in `parigot-host dev`: for a new project in each language, a one-line change to
# its service, timed from the save to "reloaded service" in the dev log (build, then compile and
# swap). Beside it, what the same change cost before the dev loop kept compiled functions: the
# rebuild plus a compile of the whole component (`check` with an empty compile cache).
# Usage: scripts/bench-dev-loop.sh [HOST] (default target/debug/parigot-host).
set -euo pipefail
host=$(realpath "${1:-target/debug/parigot-host}")
work=$(mktemp -d)
trap 'pkill -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
seconds() { python3 -c "import re,sys; m=re.search(r'in ([0-9.]+) s', sys.argv[1]); print(m.group(1))" "$1"; }

printf '%-8s %10s %10s %10s   %s\n' language build compile total "(before: rebuild + whole compile)"
for lang in rust go python; do
  cd "$work" && "$host" new "p$lang" --lang "$lang" > /dev/null && cd "p$lang"
  export PARIGOT_CACHE_DIR="$work/cache-$lang"
  port=$((19000 + RANDOM % 500))
  "$host" dev wos.toml --listen "127.0.0.1:$port" > dev.log 2>&1 &
  for _ in $(seq 1 600); do grep -q "listening on" dev.log && break; sleep 0.2; done
  case $lang in
    rust) file=services/greeter/src/lib.rs ;;
    go) file=services/greeter/export_p${lang}_api_greeter/greeter.go ;;
    python) file=services/greeter/app.py ;;
  esac
  sleep 1
  sed -i 's/Hello, /Hi, /' "$file"
  for _ in $(seq 1 1200); do grep -q "reloaded service" dev.log && break; sleep 0.1; done
  line=$(grep "reloaded service" dev.log | tail -1)
  build=$(python3 -c "import re,sys; print(re.search(r'built in ([0-9.]+) s', sys.argv[1]).group(1))" "$line")
  swap=$(python3 -c "import re,sys; print(int(re.search(r'swapped in ([0-9]+) ms', sys.argv[1]).group(1))/1000)" "$line")
  kill -INT %1 2>/dev/null || true; wait 2>/dev/null || true
  # Before: the same change rebuilt, and the whole component compiled.
  sed -i 's/Hi, /Hey, /' "$file"
  built=$("$host" build wos.toml --service greeter 2>&1 | grep "built service")
  compiled=$(PARIGOT_CACHE_DIR="$work/empty-$lang" "$host" check wos.toml 2>&1 | grep "compiled service \`greeter\`")
  before_build=$(seconds "$built"); before_compile=$(seconds "$compiled")
  printf '%-8s %9.1fs %9.1fs %9.1fs   %.1f s + %.1f s = %.1f s\n' "$lang" "$build" "$swap" \
    "$(echo "$build + $swap" | bc)" "$before_build" "$before_compile" "$(echo "$before_build + $before_compile" | bc)"
done
