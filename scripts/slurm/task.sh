#!/usr/bin/env bash
# One SLURM task of scripts/slurm/train.sbatch: one training process. Lightning's SLURM cluster
# environment reads its rank (SLURM_PROCID, SLURM_LOCALID, SLURM_NODEID) and MASTER_ADDR/PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python -m experiments.run "$@" --resume \
  --trainer.num-nodes "$SLURM_NNODES" --trainer.devices "$SLURM_NTASKS_PER_NODE"
