#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine (munged + slurmctld + slurmd on localhost), kept
# in one private folder, for the Slurm executor's tests and for trying `sdae sweep --executor slurm`
# without a cluster. Needs Debian's slurm-wlm and munge (scripts/install-slurm.sh) and root.
#
#   scripts/slurm-local.sh start DIR   starts it; prints the line to run: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-local.sh stop DIR    cancels its jobs, stops the daemons it started (by pid)
#
# One partition, `local`, with this machine's cores; no accounting database (sacct does not work;
# finished jobs are in DIR/log/jobcomp.txt). Starting again in the same folder starts clean.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(realpath -m "$2")

stop_pid() {
  local pidfile=$1
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop() {
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.pid" ]; then
    export SLURM_CONF="$dir/slurm.conf"
    timeout 10 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    # let slurmd end the jobs' processes: they outlive it by design
    for _ in $(seq 100); do
      [ -z "$(timeout 5 squeue -h -t running,completing 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munge/munged.pid"
}

start() {
  for program in munged slurmctld slurmd sbatch; do
    command -v "$program" >/dev/null || { echo "slurm-local: $program is missing; run scripts/install-slurm.sh" >&2; exit 1; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "slurm-local: slurmd must run as root to start jobs" >&2; exit 1; }
  stop
  rm -rf "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
  chmod 0755 "$dir/munge"
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 0400 "$dir/munge/munge.key"
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

  local cpus memory
  cpus=$(nproc)
  memory=$(slurmd -C | grep -o 'RealMemory=[0-9]*' | cut -d= -f2)
  memory=$((memory * 9 / 10))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=sdae-local
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -i
  slurmd -N localhost
  for _ in $(seq 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "export SLURM_CONF=$dir/slurm.conf"
      return 0
    fi
    sleep 0.1
  done
  echo "slurm-local: the node did not come up; see $dir/log/slurmctld.log and slurmd.log" >&2
  sinfo >&2 || true
  stop
  exit 1
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
