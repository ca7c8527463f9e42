#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine, for the Slurm system test (test/slurm.test.ts).
#
#   eval "$(.ci/setup-slurm.sh)"     # start (or find running) and export SLURM_CONF for the test
#   .ci/setup-slurm.sh --stop        # stop the daemons this script started
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge when missing (needs root, as in CI), writes a minimal
# slurm.conf and a munge key under $MIXBENCH_SLURM_DIR (default /tmp/mixbench-slurm), starts munged, slurmctld and
# slurmd as root on their own socket and ports (a system munge or Slurm on this machine is left alone), and waits
# until `sinfo` shows the node idle. Safe to call again: a cluster that already answers with this config is reused.
#
# The first lines it prints tell the test that a cluster is expected (MIXBENCH_TEST_SLURM=required), so that a failed
# start fails the test loudly instead of skipping it. CI needs no teardown: the machine is discarded after the job;
# --stop is for developers.
#
# MaxArraySize=4 on purpose: the 4-task array of the test fits exactly and a 6-shard submission must be split
# (mixbench slurm reads the limit from `scontrol show config`).
set -euo pipefail

DIR="${MIXBENCH_SLURM_DIR:-/tmp/mixbench-slurm}"
CONF="$DIR/etc/slurm.conf"
CTLD_PORT="${MIXBENCH_SLURMCTLD_PORT:-16817}"
SLURMD_PORT="${MIXBENCH_SLURMD_PORT:-16818}"

log() { echo "setup-slurm: $*" >&2; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_daemons() {
  local name pidfile
  for name in slurmd slurmctld munged; do
    pidfile="$DIR/run/$name.pid"
    if pid_alive "$pidfile"; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      for _ in $(seq 50); do pid_alive "$pidfile" || break; sleep 0.1; done
      log "stopped $name"
    fi
  done
}

if [ "${1:-}" = "--stop" ]; then
  stop_daemons
  exit 0
fi

echo "export MIXBENCH_TEST_SLURM=required"
echo "export SLURM_CONF=$CONF"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    log "slurmctld, slurmd, slurm-client or munge is missing and this user cannot install them (run as root)"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq slurmctld slurmd slurm-client munge >&2
fi
if [ "$(id -u)" != 0 ]; then
  log "the daemons run as root here (SlurmUser=root); run this script as root"
  exit 1
fi

mkdir -p "$DIR"/{etc,run,log,state,spool}
chmod 755 "$DIR" "$DIR/run"
chmod 700 "$DIR/etc"

# One node: this machine's CPUs, sockets, cores and memory as slurmd itself detects them.
NODE_LINE="$(slurmd -C | head -n 1)"
HOST="$(hostname -s)"
NEW_CONF="$(cat <<EOF
# Written by .ci/setup-slurm.sh: a single-node test cluster.
ClusterName=mixbench-ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/run/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MaxArraySize=4
MinJobAge=600
KillWait=30
$NODE_LINE NodeHostname=$HOST NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
)"

restart=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$NEW_CONF" ]; then
  printf '%s\n' "$NEW_CONF" >"$CONF"
  restart=1
fi
export SLURM_CONF="$CONF"

if [ ! -f "$DIR/etc/munge.key" ]; then
  dd if=/dev/urandom of="$DIR/etc/munge.key" bs=1024 count=1 status=none
  chmod 400 "$DIR/etc/munge.key"
fi

if ! pid_alive "$DIR/run/munged.pid"; then
  munged --key-file="$DIR/etc/munge.key" --socket="$DIR/run/munge.socket" --pid-file="$DIR/run/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/state/munged.seed" >&2
  log "started munged"
fi

if [ "$restart" = 1 ]; then
  # A changed config (or the first start): daemons still running with an old one are restarted.
  for name in slurmd slurmctld; do
    if pid_alive "$DIR/run/$name.pid"; then
      kill "$(cat "$DIR/run/$name.pid")"
      for _ in $(seq 50); do pid_alive "$DIR/run/$name.pid" || break; sleep 0.1; done
    fi
  done
fi
if ! pid_alive "$DIR/run/slurmctld.pid"; then
  slurmctld -f "$CONF" >&2
  log "started slurmctld"
fi
if ! pid_alive "$DIR/run/slurmd.pid"; then
  slurmd -f "$CONF" >&2
  log "started slurmd"
fi

state=""
for _ in $(seq 120); do
  state="$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null || true)"
  case "$state" in
    idle | mix | alloc) break ;;
    down* | drain* | drng*) scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.5
done
case "$state" in
  idle | mix | alloc) log "node $HOST is $state ($(sinfo --version), $DIR)" ;;
  *)
    log "the node did not come up (state: '${state:-no answer}'); last lines of the logs:"
    tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" "$DIR/log/munged.log" >&2 || true
    exit 1
    ;;
esac
