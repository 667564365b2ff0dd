#!/usr/bin/env bash
# Interleaved A/B of the embedding run on the device (`run` tool; see device_embed.sh for
# the wheels in .whl/): the working tree ("new") against the same tree with the files
# under OLD laid over catalog/ ("old": a folder mirroring the repository, e.g.
# OLD/catalog/embed/loading.py, carried to the device), in separate processes in the
# order old, new, old, new, ... (ROUNDS rounds), each printing benchmarks/embed.py's
# figures with its own interleaved model-only baseline. The first process builds the
# catalog; the others reuse it (same --work). Logs: $OUT/ab_old.log, $OUT/ab_new.log.
#   ROUNDS=2 bash benchmarks/device_ab.sh .device/old --work /tmp/w512 --points 512 \
#     --n 12000 --distinct 600 --batch-size 128 --device cuda --workers 12 --repeat 2
set -uo pipefail
. benchmarks/device_env.sh
old=$1
shift
rm -rf /tmp/old_tree /tmp/pold && mkdir -p /tmp/pold/symcat
cp -r catalog /tmp/old_tree && cp -r "$old/catalog/." /tmp/old_tree/
for f in /tmp/old_tree/*; do ln -sfn "$f" /tmp/pold/symcat/; done
for d in ingest migrations schemas; do
  if [ -e "$d" ]; then ln -sfn "$PWD/$d" "/tmp/pold/symcat/$d"; fi
done
new_path=$PYTHONPATH
for round in $(seq "${ROUNDS:-2}"); do
  for arm in old new; do
    if [ "$arm" = old ]; then path=/tmp/pold:/tmp/site:$PWD; else path=$new_path; fi
    echo "== round $round, $arm code ($(date -u +%H:%M:%S))" | tee -a "$OUT/ab_$arm.log"
    PYTHONPATH=$path python3 benchmarks/embed.py "$@" 2>&1 | grep -v "it/s\]" \
      | tee -a "$OUT/ab_$arm.log"
  done
done
