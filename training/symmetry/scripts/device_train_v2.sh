#!/usr/bin/env bash
# One resumable chunk of symcat_symmetry.v2 training on the device machine (run from a
# folder holding catalog/, training/ and texture_bank.pt; see training/README.md).
#   STATE=folder-to-resume-from SECS=480 STEPS=20000 bash training/symmetry/scripts/device_train_v2.sh
# Writes $OUT/v2/ (fp16 weight parts + state.json, saved every 2 minutes) and $OUT/train.log.
set -uo pipefail
export PYTHONUNBUFFERED=1 SYMCAT_TEXTURE_BANK=$PWD/texture_bank.pt
mkdir -p /tmp/p && ln -sfn "$PWD/catalog" /tmp/p/symcat
export PYTHONPATH=/tmp/p:$PWD
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
INIT=(--init-from "${INIT_FROM:-../../catalog/embed/symmetry/weights}")
if [ -n "${STATE:-}" ] && [ -f "$STATE/state.json" ]; then INIT=(--resume "$STATE"); fi
python3 -m training.symmetry.train --out "$OUT/v2" "${INIT[@]}" --widen --input gray \
  --dihedral --lr "${LR:-0.05}" --warmup 300 --steps "${STEPS:-20000}" \
  --max-seconds "${SECS:-480}" --save-every-s 120 --half-state --eval-n 4096 \
  --log-every 250 2>&1 | tee -a "$OUT/train.log"
