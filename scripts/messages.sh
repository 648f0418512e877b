#!/usr/bin/env bash
# Refresh the reports' message catalogs from the source (babel.cfg): extract the messages and
# merge them into every language's .po (new messages arrive untranslated; the tests then fail
# until they are translated: tests/report/test_i18n.py).
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
.venv/bin/pybabel extract -F babel.cfg -k _ --no-location --sort-output -o "$pot" . >/dev/null
for po in src/peacewatch/locale/*/LC_MESSAGES/peacewatch.po; do
  lang=$(basename "$(dirname "$(dirname "$po")")")
  .venv/bin/pybabel update -D peacewatch -i "$pot" -d src/peacewatch/locale -l "$lang" \
    --no-fuzzy-matching --ignore-obsolete --omit-header >/dev/null
done
rm -f "$pot"
