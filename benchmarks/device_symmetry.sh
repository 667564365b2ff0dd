#!/usr/bin/env bash
# Issue 12's symmetry figures in one device call (`run` tool, NVIDIA H200): fit the
# temperature of the model folder CALIBRATE (default: symcat_symmetry.v3's) on CAL_N (600;
# 0 skips) validation images, then benchmarks/symmetry_eval.py for MODELS (default
# v2,v3) side by side, plus CANDIDATE (a config-only folder such as
# training/symmetry/candidates/own_points, calibrated first) when set. Run from the
# repository root with the texture bank carried (`torch.save(training.symmetry.textures.
# texture_bank())` as .device/sym/texture_bank.pt: the GPU machine has no scikit-image;
# TEXTURES names another path). Writes $OUT/calibrate*.log, config*.json, eval.log, eval.json.
#   CAL_N=0 CANDIDATE=training/symmetry/candidates/own_points \
#     bash benchmarks/device_symmetry.sh 102 200 170
set -uo pipefail
export SYMCAT_TEXTURE_BANK=${TEXTURES:-$PWD/.device/sym/texture_bank.pt}
. benchmarks/device_env.sh
SECONDS=0
calibrate() {  # FOLDER TAG
  python3 -m training.symmetry.calibrate "$1" --n "${CAL_N_CANDIDATE:-600}" --device cuda \
    --workers 16 2>&1 | tee "$OUT/calibrate$2.log"
  cp "$1/config.json" "$OUT/config$2.json"
}
if [ "${CAL_N:-600}" != 0 ]; then
  CAL_N_CANDIDATE=${CAL_N:-600} calibrate "${CALIBRATE:-catalog/embed/symmetry/weights_v3}" ""
fi
extra=()
if [ -n "${CANDIDATE:-}" ]; then
  calibrate "$CANDIDATE" _candidate
  extra=(--extra "candidate=$CANDIDATE")
fi
echo "calibration: ${SECONDS} s"
python3 benchmarks/symmetry_eval.py --n-per-bin "${1:-102}" --domains "${2:-200}" \
  --atoms "${3:-170}" --models "${MODELS:-v2,v3}" --device cuda --workers 16 "${extra[@]}" \
  --json "$OUT/eval.json" 2>&1 | tee "$OUT/eval.log"
echo "total: ${SECONDS} s"
