#!/bin/bash
# A mixbench sweep on a Slurm cluster, submitted from a login node whose file system the compute nodes share:
#
#   bash examples/slurm-array.sh
#
# `mixbench slurm` writes a job array (one shard of the plan per task, every task writing into results/noise-sweep),
# split into several arrays when the cluster's MaxArraySize is smaller, and a merge job that runs `mixbench report`
# once every task has ended (--dependency=afterany). It submits them, prints the job ids and returns at once; it never
# waits for the jobs. Log out, come back later and ask:
#
#   npx mixbench status results/noise-sweep
#
# A task warned by Slurm 120 s before its time limit stops between training steps (exit 130) and requeues itself,
# keeping its complete runs. After a cancelled or failed task, run this script again: it submits only the shards that
# are not complete, running or still queued. Add --dry-run to see the sbatch scripts, or leave out --submit to write
# them to results/noise-sweep/slurm/ and submit them yourself (bash results/noise-sweep/slurm/submit.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
npx mixbench slurm examples/noise-sweep.yaml \
  --shards 6 \
  --cpus-per-task 2 \
  --mem 4G \
  --time 1:00:00 \
  --array-limit 4 \
  --retries 1 \
  --submit
