#!/bin/sh
# Whole-process time of `peacewatch brief MLI --pdf`, first briefing after a load (the results
# cache removed before every run), this checkout against a baseline commit, pair by pair.
# Usage: benchmarks/brief_vs_baseline.sh [BASELINE_REV] [RUNS]   (default 6bc7b9c, 4 runs)
# Needs farm-bench (the workplace tool library) and the .venv of scripts/setup.sh.
set -eu
rev=${1:-6bc7b9c}
runs=${2:-4}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add -f "$work/base" "$rev" >/dev/null 2>&1
# Each side loads its own store from shared/data (the schema may differ between them).
for side in new base; do
  src="$here/src"; [ "$side" = base ] && src="$work/base/src"
  (cd "$here" && PYTHONPATH="$src" PEACEWATCH_STORE="$work/$side.duckdb" \
    .venv/bin/python -m peacewatch load-shared >/dev/null)
done
cat > "$work/run.sh" <<RUN
#!/bin/sh
rm -rf "\$2.results"
cd "$here" && PYTHONPATH="\$1" PEACEWATCH_STORE="\$2" .venv/bin/python -m peacewatch \
  brief MLI --out "$work/b.html" --pdf "$work/b.pdf" >/dev/null 2>&1
RUN
chmod +x "$work/run.sh"
farm-bench -n "$runs" --warmup 1 --timeout 1800 \
  --vs "$work/run.sh $work/base/src $work/base.duckdb" -- "$work/run.sh" "$here/src" "$work/new.duckdb"
