#!/usr/bin/env bash
# One machine's share of a multi-node training run, started through torchrun (any cluster or cloud).
# Run it on every machine with the same PRESET and overrides; only NODE_RANK differs:
#
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 MASTER_PORT=29500 DEVICES=1 \
#     bash scripts/multinode.sh supervised_nsynth --trainer.accelerator gpu
#
# DEVICES: processes on this machine (one per GPU). torchrun gives each its rank; ddsp-repro
# trains with DDP over NNODES x DEVICES processes (gloo on CPUs, NCCL on GPUs). The run is
# started with --resume, so the same command continues it after a failure or preemption.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NNODES:?set NNODES}" "${NODE_RANK:?set NODE_RANK}" "${MASTER_ADDR:?set MASTER_ADDR}"
MASTER_PORT="${MASTER_PORT:-29500}"
DEVICES="${DEVICES:-1}"
exec .venv/bin/python -m torch.distributed.run \
  --nnodes "$NNODES" --node-rank "$NODE_RANK" --nproc-per-node "$DEVICES" \
  --master-addr "$MASTER_ADDR" --master-port "$MASTER_PORT" \
  -m experiments.run "$@" --resume --trainer.num-nodes "$NNODES" --trainer.devices "$DEVICES"
