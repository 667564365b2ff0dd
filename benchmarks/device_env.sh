# Sourced (`. benchmarks/device_env.sh`) by the device_*.sh scripts, from the folder they
# run in on the device machine (`run` tool): $OUT, the catalog's wheels from .whl/ when
# that folder was carried (see device_embed.sh), symcat importable without installing it
# (catalog/ is the package symcat, ingest/ symcat.ingest, ...), and what the machine is.
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/p/symcat
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
fi
for f in catalog/*; do ln -sfn "$PWD/$f" /tmp/p/symcat/; done
for d in ingest migrations schemas; do
  if [ -e "$d" ]; then ln -sfn "$PWD/$d" "/tmp/p/symcat/$d"; fi
done
export PYTHONPATH=/tmp/p:/tmp/site:$PWD
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
echo "cores $(nproc)"
