#!/usr/bin/env bash
# Add the messages of the source (babel.cfg) that a language's catalog lacks, untranslated.
# Nothing is removed: the catalogs also hold messages built at run time (indicator titles,
# data labels) that extraction cannot see. New messages then fail tests/report/test_i18n.py
# until they are translated.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python - <<'PY'
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from peacewatch.report.i18n import EXTRACT_KEYWORDS

with open("babel.cfg", encoding="utf-8") as fh:
    method_map, options_map = parse_mapping_cfg(fh)
found = sorted(
    {
        m[2] if isinstance(m[2], str) else m[2][0]
        for m in extract_from_dir(".", method_map, options_map, keywords=EXTRACT_KEYWORDS)
    }
)
for po in sorted(Path("src/peacewatch/locale").glob("*/LC_MESSAGES/peacewatch.po")):
    with po.open("rb") as fh:
        catalog = read_po(fh)
    added = [m for m in found if m not in catalog]
    for message in added:
        catalog.add(message, "")
    with po.open("wb") as fh:
        write_po(fh, catalog, omit_header=True, sort_output=True, no_location=True)
    print(f"{po}: {len(added)} message(s) added")
PY
