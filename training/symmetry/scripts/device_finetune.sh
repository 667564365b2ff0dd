#!/usr/bin/env bash
# A fine-tuned symcat_symmetry version (VERSION: v5, v6, ...) in one device call (`run`
# tool, NVIDIA H200): fine-tune v2's network on small-cell views mixed with v2's widened
# batches (training.symmetry.finetune, SECS of training, cosine over that time; INIT=<a
# shipped weights folder> starts from its delta with a fresh schedule, STATE=<a returned
# $VERSION/ folder> resumes), lay the delta into catalog/embed/symmetry/weights_$VERSION
# (whose config.json must exist, or CONFIG names one to start it from), fit its temperature on 600 validation images, then
# benchmarks/symmetry_eval.py for MODELS on the evaluation's seed and SEEDS.
# Run from the repository root with the texture bank carried (TEXTURES; see
# benchmarks/device_symmetry.sh). SKIP_TRAIN=1 evaluates the weights already there.
# MOTIFS=N also evaluates N images per cells bin of the other held-out motif families
# (symmetry_eval.py --motifs: plane waves, blobs; default 0, none). MAIN_SEED= (empty)
# leaves the evaluation's seed 20261130 out, for a second call with SKIP_TRAIN=1 SEEDS=...
# Writes $OUT/$VERSION/{delta.part00.safetensors,state.json}, train.log, calibrate.log,
# config_$VERSION.json, eval.log (every seed), eval.json (the evaluation's seed), and with
# SEED_JSON=1 eval_$SEED.json for each of SEEDS (the device tool returns 8 files at most).
# v5 (device_finetune_v5.sh): STEPS=4000 SECS=330 stopped at step 4000 after 253 s (the
# cosine over 330 s had reached lr 0.0013).
#   SECS=330 SEEDS="7 11" bash training/symmetry/scripts/device_finetune_v5.sh
# v6: v5's delta, a whole cosine of 280 s (STEPS large enough never to stop it first).
#   VERSION=v6 INIT=catalog/embed/symmetry/weights_v5 SECS=280 STEPS=100000 LR=0.004 \
#     SMALL_FRAC=0.5 SEED=6 MODELS=v5,v6 SEEDS="7 11" \
#     CONFIG=training/symmetry/candidates/v6_config.json \
#     bash training/symmetry/scripts/device_finetune.sh
#   (measured, not shipped: benchmarks/RESULTS.md, "symcat_symmetry.v6")
# v7: v5's delta, the lines family added to both halves (thin lines that alias at small
# cells, as a point-sampling generator's do).
#   VERSION=v7 INIT=catalog/embed/symmetry/weights_v5 SECS=270 STEPS=100000 LR=0.004 \
#     SMALL_FRAC=0.5 SEED=7 FAMILIES=noise,texture,binary,lines MODELS=v5,v7 \
#     SEEDS="7 11" CONFIG=training/symmetry/candidates/v7_config.json \
#     TEXTURES=.device/s9v6/texture_bank.pt bash training/symmetry/scripts/device_finetune.sh
# v15: v5's delta, the waves family added (a few plane waves of the cell, near-supergroups
# kept), evaluated with the other held-out motif families too; seed 7 in a second call.
#   VERSION=v15 INIT=catalog/embed/symmetry/weights_v5 SECS=270 STEPS=100000 LR=0.004 \
#     SMALL_FRAC=0.5 SEED=15 FAMILIES=noise,texture,binary,waves MODELS=v13,v15 MOTIFS=34 \
#     CONFIG=training/symmetry/candidates/v15_config.json \
#     TEXTURES=.device/ft/texture_bank.pt bash training/symmetry/scripts/device_finetune.sh
#   VERSION=v15 SKIP_TRAIN=1 MAIN_SEED= SEEDS=7 SEED_JSON=1 MODELS=v13,v15 MOTIFS=34 \
#     bash training/symmetry/scripts/device_finetune.sh   (weights_v15 as returned)
#   (measured, not shipped: plane waves at >= 8 cells 89.7 -> 88.2% and 91.2 -> 94.1%)
set -uo pipefail
export SYMCAT_TEXTURE_BANK=${TEXTURES:-$PWD/.device/s8sym/texture_bank.pt}
. benchmarks/device_env.sh
SECONDS=0
V=${VERSION:-v5}
W=catalog/embed/symmetry/weights_$V
if [ ! -f "$W/config.json" ] && [ -n "${CONFIG:-}" ]; then mkdir -p "$W" && cp "$CONFIG" "$W/config.json"; fi
if [ -z "${SKIP_TRAIN:-}" ]; then
  python3 -m training.symmetry.finetune --out "$OUT/$V" ${STATE:+--resume "$STATE"} \
    ${INIT:+--init "$INIT"} ${FAMILIES:+--families "$FAMILIES"} --seed "${SEED:-5}" \
    --steps "${STEPS:-4000}" --max-seconds "${SECS:-300}" --time-schedule --lr "${LR:-0.01}" \
    --small-frac "${SMALL_FRAC:-0.4}" --bn "${BN:-frozen}" --device cuda 2>&1 | tee "$OUT/train.log" || exit 1
  python3 -m training.symmetry.finetune --export "$OUT/$V" "$W" || exit 1
  python3 -m training.symmetry.calibrate "$W" --n 600 --device cuda --workers 16 2>&1 \
    | tee "$OUT/calibrate.log"
  cp "$W/config.json" "$OUT/config_$V.json"
fi
echo "training and calibration: ${SECONDS} s"
for seed in ${MAIN_SEED-20261130} ${SEEDS:-}; do
  json=()
  if [ -n "${SEED_JSON:-}" ]; then json=(--json "$OUT/eval_$seed.json"); fi
  if [ "$seed" = 20261130 ]; then json=(--json "$OUT/eval.json"); fi
  echo "=== seed $seed"
  python3 benchmarks/symmetry_eval.py --n-per-bin 102 --domains 200 --atoms 170 \
    --motifs "${MOTIFS:-0}" --models "${MODELS:-v4,v5}" --seed "$seed" --device cuda \
    --workers 16 "${json[@]}" 2>&1 | tee -a "$OUT/eval.log"
  echo "after seed $seed: ${SECONDS} s"
done
