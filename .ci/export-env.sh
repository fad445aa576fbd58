#!/usr/bin/env bash
# Creates the separate CLIP export environment (torch + open_clip + onnx) at the path given as $1.
#
# Why separate: torch is not a runtime dependency of the Binsight server (inference runs on ONNX
# Runtime), and the torch/torchvision pair open_clip needs must be pinned together: PyPI's newest
# torchvision does not import against an arbitrary torch. The pinned pair below is known to work
# together on CPU.
#
# Idempotent: if the interpreter at $1 already imports open_clip, onnx and binsight, it does
# nothing. Prints the time taken. Then run the export tests with:
#   BINSIGHT_EXPORT_PYTHON=$1/bin/python /work/venv/bin/pytest tests/test_clip_export.py
set -euo pipefail

env_dir="${1:?usage: .ci/export-env.sh ENV_DIR}"
repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
torch_pin="torch==2.14.1"
torchvision_pin="torchvision==0.29.1"
start=$(date +%s)

check='import open_clip, onnx, onnxscript, torch, torchvision, binsight.models.export_clip'
if [ -x "$env_dir/bin/python" ] && "$env_dir/bin/python" -c "$check" 2>/dev/null; then
    echo "export env at $env_dir already works ($("$env_dir/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
    exit 0
fi

python3 -m venv "$env_dir"
"$env_dir/bin/pip" install --quiet "$torch_pin" "$torchvision_pin"
# The project itself (for binsight.models.export_clip and the CLI) plus the export extra; torch is
# already satisfied by the pins above, so pip leaves it alone.
"$env_dir/bin/pip" install --quiet -e "$repo_dir[export]" "$torch_pin" "$torchvision_pin"
"$env_dir/bin/python" -c "$check"

echo "export env ready at $env_dir in $(( $(date +%s) - start )) s"
