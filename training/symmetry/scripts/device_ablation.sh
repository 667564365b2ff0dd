#!/usr/bin/env bash
# Ablation on the device (run from the repository root): equal wall time per variant, evaluated on 4096 images per set.
set -uo pipefail
mkdir -p /tmp/p && ln -sfn "$PWD/catalog" /tmp/p/symcat
export PYTHONPATH=/tmp/p:$PWD PYTHONUNBUFFERED=1
SECS=${SECS:-100}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch,torchvision,skimage;print(torch.__version__,torchvision.__version__,skimage.__version__)"
run() {  # name, extra args
  local name=$1; shift
  python3 -m training.symmetry.train --out /tmp/abl/$name --time-schedule \
    --max-seconds "$SECS" --eval-n 4096 --log-every 200 "$@" 2>&1 | tee -a "$OUT/ablation.log"
  cp /tmp/abl/$name/state.json "$OUT/abl_$name.json"
}
run r18_gray --input gray
run r18_gray_dihedral --input gray --dihedral
run r18_fft --input fft
run r34_gray --input gray --arch resnet34
