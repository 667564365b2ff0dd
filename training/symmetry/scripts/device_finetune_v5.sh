#!/usr/bin/env bash
# symcat_symmetry.v5's call, kept under the name its records cite: device_finetune.sh with
# VERSION=v5 (its defaults are v5's: seed 5, lr 0.01, small-frac 0.4, models v4,v5).
#   SECS=330 SEEDS="7 11" bash training/symmetry/scripts/device_finetune_v5.sh
VERSION=v5 exec bash "$(dirname "$0")/device_finetune.sh"
