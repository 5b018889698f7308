#!/usr/bin/env bash
# Scale-out on Slurm: a one-node cluster on localhost (munged, slurmctld and
# slurmd from Debian's packages, private config, sockets and ports under a
# temporary folder; the node has 2 CPUs, so two array tasks run at once) runs
# examples/slurm/stylize-array.sbatch as a 2-task job array. Checks that the
# union of the tasks' outputs is a single-machine run's, byte for byte, and that
# a task cancelled mid-run (scancel: SIGTERM) is finished by resubmitting the
# same array (the batch's records make it resume).
# Installs slurmctld, slurmd, slurm-client and munge with apt-get if missing; needs root (skipped without).
#   STYLIZE_BIN (default: stylize on PATH), STYLIZE_MODEL, IMAGES (default examples/)
set -u
BIN="${STYLIZE_BIN:-$(command -v stylize)}"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
IMAGES="${IMAGES:-$REPO/examples}"
SBATCH_SCRIPT="$REPO/examples/slurm/stylize-array.sbatch"
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

if [ "$(id -u)" != 0 ]; then  # like the faults suite's root-only cases: skipped, and said so
    echo "skip: the scale-out test starts slurmd and installs Slurm, which need root"; finish
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    echo "installing Slurm and munge (apt-get) ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null 2>&1 \
        || { bad "apt-get install slurmctld slurmd slurm-client munge"; finish; }
fi

# Short paths: the munge socket's name must fit a sockaddr_un.
T="$(mktemp -d /tmp/scaleout.XXXXXX)"; chmod 755 "$T"
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log" "$T/in" "$T/st"
stop() {
    local f
    for f in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munge/pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    sleep 1
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap stop EXIT

# munged with its own key, socket and files; then a cluster of one node with 2 CPUs.
chmod 700 "$T/munge"
head -c 1024 /dev/urandom > "$T/munge/key"; chmod 600 "$T/munge/key"
munged --force --socket="$T/munge/sock" --key-file="$T/munge/key" --pid-file="$T/munge/pid" \
    --log-file="$T/munge/log" --seed-file="$T/munge/seed" || { bad "munged starts"; finish; }
port=$((20000 + ($$ % 20000) * 2))  # two free-looking ports, different per run
host="$(hostname -s)"
export SLURM_CONF="$T/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=stylizetest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=10
NodeName=node1 NodeHostname=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=node1 Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" -N node1 || { bad "slurmctld and slurmd start"; finish; }
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.5; done
check "a one-node cluster with 2 CPUs is up (sinfo: $(sinfo -h -o '%D node %c CPUs %T' 2>&1))" \
    bash -c "sinfo -h -o '%c %T' | grep -q '^2 idle'"
[ "$fail" = 0 ] || { tail -n 5 "$T/log/"*.log; finish; }

# Eight items: four contents (the tiny example and three flips/crops) after two styles.
C="$IMAGES/tiny_content_64.png"; S="$IMAGES/tiny_style_64.png"
vips copy "$C" "$T/in/a.png"; vips flip "$C" "$T/in/b.png" horizontal
vips flip "$C" "$T/in/c.png" vertical; vips crop "$C" "$T/in/d.png" 0 4 64 56
vips copy "$S" "$T/st/wave.png"; vips flip "$S" "$T/st/swirl.png" horizontal
ITEMS=("$T/in" --style "$T/st/wave.png" --style "$T/st/swirl.png" --size 48 --iterations 4)

# The single-machine run, with the thread count each array task gets (--cpus-per-task=1).
"$BIN" batch "${ITEMS[@]}" -o "$T/single" --threads 1 --quiet 2>"$T/single.log"
check "the single-machine run makes 8 outputs" test "$(ls "$T/single" | grep -c '\.png$')" = 8
same_as_single() {  # DIR: the same 8 files, byte for byte
    local f n=0
    for f in "$T/single"/*.png; do cmp -s "$f" "$1/$(basename "$f")" || return 1; n=$((n + 1)); done
    [ $n = 8 ] && [ "$(ls "$1" | grep -c '\.png$')" = 8 ]
}
# submit OUT NAME: the example script as a 2-task array; prints the job id.
submit() {
    sbatch --parsable --array=0-1 --cpus-per-task=1 --mem=500M --job-name="$2" --output="$T/log/$2-%a.log" \
        --chdir="$T" "$SBATCH_SCRIPT" "${ITEMS[@]}" -o "$1"
}
# wait_job ID: until no task of the job is queued or running (at most 3 minutes).
wait_job() {
    for _ in $(seq 360); do [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0; sleep 0.5; done
    return 1
}
made() { grep -hoE '^batch: [0-9]+ items: [0-9]+ made' "$@" | awk '{s += $4} END {print s + 0}'; }
skipped() { grep -hoE '[0-9]+ skipped' "$@" | awk '{s += $1} END {print s + 0}'; }

# --- the array: two tasks, each its shard, the union the whole ---
job=$(submit "$T/array" whole) || { bad "sbatch submits the array"; finish; }
seen_running=0
for _ in $(seq 360); do
    [ "$(squeue -h -j "$job" -t R | wc -l)" = 2 ] && seen_running=1
    [ -z "$(squeue -h -j "$job")" ] && break; sleep 0.25
done
wait_job "$job" || bad "the array finishes within 3 minutes"
check "both array tasks ran at the same time on the 2 CPUs" test $seen_running = 1
check "tasks 0/2 and 1/2 made 4 + 4 items ($(made "$T/log/whole-0.log") + $(made "$T/log/whole-1.log"))" \
    test "$(made "$T/log/whole-0.log")$(made "$T/log/whole-1.log")" = 44
check "the union of the array's outputs equals the single-machine run, byte for byte" same_as_single "$T/array"

# --- a task cancelled mid-run is finished by resubmitting the same array ---
mine=$("$BIN" batch "${ITEMS[@]}" -o "$T/kill" --shard 1/2 --dry-run 2>/dev/null | awk '{print $2}')
job=$(submit "$T/kill" kill) || { bad "sbatch submits the array again"; finish; }
for _ in $(seq 600); do
    for f in $mine; do [ -e "$f.stylize.json" ] && break 2; done; sleep 0.1
done
scancel "${job}_1"
wait_job "$job" || bad "the cancelled array ends"
left=0; for f in $mine; do [ -e "$f.stylize.json" ] || left=$((left + 1)); done
check "scancel stopped task 1 with $left of its 4 items not made" test "$left" -ge 1 -a "$left" -le 3
check "the cancelled task left no temporary file (SIGTERM removes it)" test "$(ls "$T/kill" | grep -c tmp)" = 0
job=$(submit "$T/kill" resume) || { bad "sbatch resubmits"; finish; }
wait_job "$job" || bad "the resubmitted array finishes"
check "the resubmitted array skips the $((8 - left)) done items and makes the $left missing ones" \
    test "$(skipped "$T/log/resume-"*.log)" = $((8 - left)) -a "$(made "$T/log/resume-"*.log)" = "$left"
check "after the resume the outputs equal the single-machine run, byte for byte" same_as_single "$T/kill"
[ "$fail" = 0 ] || tail -n 20 "$T/log/"*.log
finish
