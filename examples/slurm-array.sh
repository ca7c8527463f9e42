#!/bin/bash
# A mixbench sweep as a Slurm job array: each array task runs one shard of the plan into a shared directory.
#
#   sbatch examples/slurm-array.sh
#   # when every task has finished (or: sbatch --dependency=afterany:<array job id> ...):
#   npx mixbench report results/noise-sweep --plan examples/noise-sweep.yaml
#
# mixbench reads the shard from SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT, so the array
# may start at 0 or 1; `%4` caps how many tasks run at once. Shards are disjoint and deterministic, each task writes
# only its own runs, and re-running a task (requeue after preemption, or by hand) redoes only what is incomplete.
# Slurm sends SIGTERM at the time limit or on preemption: mixbench stops between steps, keeps what is complete and
# exits 130; --requeue puts the task back in the queue and it resumes.
#
#SBATCH --job-name=mixbench-noise
#SBATCH --array=0-5%4
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --signal=TERM@60
#SBATCH --requeue
#SBATCH --output=logs/mixbench-%A_%a.out

set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
mkdir -p logs

# One worker process per allocated CPU; plain log lines (no TTY) go to the task's log file.
npx mixbench run examples/noise-sweep.yaml \
  --output results/noise-sweep \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --retries 1
