#!/usr/bin/env bash
# Issue 12's GPU figures in one device call (`run` tool; see device_embed.sh for the
# wheels in .whl/): the retrieval benchmark's features (metrics are computed afterwards on
# any machine from the cached parts: `python benchmarks/retrieval.py --work <parts>`), then
# end-to-end embedding throughput of the new default model for 256- and 512-px scans.
# Usage there: bash benchmarks/device_issue12.sh HARD_N LATTICE_N N256 DISTINCT256 N512 DISTINCT512 [N1024 DISTINCT1024]
# (an N of 0 skips that size)
# (HARD_N 0: throughput only; REPEAT=2 in the environment: two timed runs per size, the
# first pays for cuDNN's autotuning of each new batch shape)
set -uo pipefail
. benchmarks/device_env.sh
SECONDS=0
if [ "$1" != 0 ]; then  # HARD_N 0: throughput only
(cd benchmarks && python3 retrieval.py --features-only --set hard --n "$1" --work "$OUT/parts" \
  && python3 retrieval.py --features-only --set lattice --lattice-n "$2" --work "$OUT/parts") 2>&1 \
  | tee "$OUT/retrieval.log"
(cd "$OUT/parts" && for d in */; do tar cf "$OUT/${d%/}.tar" "$d"; done) && rm -rf "$OUT/parts"
fi
echo "retrieval features: ${SECONDS} s"
M=${MODEL:-symcat_combined.v2}
# WORKERS="12 14": one set of runs per loading-worker count; CHECK=K: K stored vectors
# compared with the same scans embedded alone (the pipelined GPU path stores the same);
# SERVER="default shared_buffers=24GB io_method=sync": one set of runs per server arm
# (embed.py --server: ALTER SYSTEM, then a restart before each arm's runs).
common=(--device cuda --workers ${WORKERS:-12} --model-seconds 4 --repeat "${REPEAT:-1}"
        --check "${CHECK:-0}" --models "$M" --server ${SERVER:-default}
        --slots ${SLOTS:-pinned})  # SLOTS="pinned pageable": both kinds of loading slots
# COMPILE=1: symcat embed --compile; COMPILE="off on": plain and compiled runs alternate
if [ "${COMPILE:-}" = 1 ]; then common+=(--compile on)
elif [ -n "${COMPILE:-}" ]; then common+=(--compile $COMPILE); fi
# AUTOTUNE="off on": runs with cuDNN's heuristics and with its timed search alternate
if [ -n "${AUTOTUNE:-}" ]; then common+=(--autotune $AUTOTUNE); fi
# SHAPES="ramp fixed": ramped and one-shape batches alternate; FRESH=1: each run its own process
if [ -n "${SHAPES:-}" ]; then common+=(--shapes $SHAPES); fi
if [ "${FRESH:-}" = 1 ]; then common+=(--fresh); fi
# DEPTHWISE="cudnn native": depthwise convolutions through cuDNN and PyTorch's kernel alternate
if [ -n "${DEPTHWISE:-}" ]; then common+=(--depthwise $DEPTHWISE); fi
# WARMUP="off on": cuDNN's first call of a shape in the run's thread, and layer by layer in
# threads of the depthwise layers' own
if [ -n "${WARMUP:-}" ]; then common+=(--warmup $WARMUP); fi
if [ "$3" != 0 ]; then
python3 benchmarks/embed.py --work /tmp/w256 --points 256 --n "$3" --distinct "$4" \
  --batch-size 256 "${common[@]}" 2>&1 | tee "$OUT/embed256.log"
echo "after 256: ${SECONDS} s"
fi
if [ "$5" != 0 ]; then
python3 benchmarks/embed.py --work /tmp/w512 --points 512 --n "$5" --distinct "$6" \
  --batch-size "${BATCH512:-128}" "${common[@]}" 2>&1 | tee "$OUT/embed512.log"
echo "after 512: ${SECONDS} s"
fi
if [ "${7:-0}" != 0 ]; then  # N1024 DISTINCT1024
rm -rf /tmp/w512  # disk
python3 benchmarks/embed.py --work /tmp/w1024 --points 1024 --n "$7" --distinct "$8" \
  --batch-size 64 "${common[@]}" 2>&1 | tee "$OUT/embed1024.log"
echo "after 1024: ${SECONDS} s"
fi
