#!/usr/bin/env bash
# Issue 12's symmetry figures in one device call (`run` tool, NVIDIA H200): fit
# symcat_symmetry.v3's temperature on CAL_N (600) validation images, then
# benchmarks/symmetry_eval.py for v1, v2 and v3 side by side. Run from a folder holding
# catalog/ (the weight folders may be links), ingest/, training/, benchmarks/ and
# texture_bank.pt (`torch.save(training.symmetry.textures.texture_bank())`: the GPU machine
# has no scikit-image). Writes $OUT/calibrate.log, config_v3.json, eval.log, eval.json.
#   CAL_N=600 bash benchmarks/device_symmetry.sh 102 200 170
set -uo pipefail
export SYMCAT_TEXTURE_BANK=$PWD/texture_bank.pt
. benchmarks/device_env.sh
SECONDS=0
python3 -m training.symmetry.calibrate catalog/embed/symmetry/weights_v3 --n "${CAL_N:-600}" \
  --device cuda --workers 16 2>&1 | tee "$OUT/calibrate.log"
cp catalog/embed/symmetry/weights_v3/config.json "$OUT/config_v3.json"
echo "calibration: ${SECONDS} s"
python3 benchmarks/symmetry_eval.py --n-per-bin "${1:-102}" --domains "${2:-200}" \
  --atoms "${3:-170}" --device cuda --workers 16 --json "$OUT/eval.json" 2>&1 | tee "$OUT/eval.log"
echo "total: ${SECONDS} s"
