#!/bin/sh
# VM benchmark (issue 19): chimera vm create to SSH-ready, and the first deploy of
# examples/hello to it, median of 3 VMs made one after another; beside them, in the same run,
# the same kernel and initramfs booted by a bare qemu-system-x86_64 to its first init (the
# floor: what any tool pays before a guest can run sshd). Targets: SSH-ready under 30 s under
# TCG, under 10 s under KVM; the accelerator that ran is printed.
# usage: bench/vm/bench_vm.sh [CHIMERA] [RUNS]   (default build/chimera, 3)
set -eu
CHIMERA=${1:-build/chimera}
RUNS=${2:-3}
case "$CHIMERA" in /*) ;; *) CHIMERA="$(pwd)/$CHIMERA" ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
STATE="$(pwd)/build/bench-vm-state"
CFG="$STATE/chimera.toml"
CHIMERA_VM_ADDRESS_PREFIX=${BENCH_VM_PREFIX:-127.156.0.}
NIX_CONFIG="$(printf 'substituters =\nbuild-users-group =\nsandbox = false\nflake-registry =')"
export CHIMERA_VM_ADDRESS_PREFIX NIX_CONFIG
ch() { "$CHIMERA" --state-dir "$STATE" --config "$CFG" "$@"; }
now() { date +%s%N; }
ms() { echo "$1 $2" | awk '{ printf "%d", ($2 - $1) / 1e6 }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

cleanup() {
	for d in "$STATE"/vm/*/; do
		[ -f "$d/qemu.pid" ] && kill -9 "$(cat "$d/qemu.pid")" 2>/dev/null
	done
	true
}
trap cleanup EXIT
rm -rf "$STATE"
mkdir -p "$STATE"
: >"$CFG"

# The boot kit (initramfs) is made by the first create on a machine: timed apart, with one VM made and removed.
t0=$(now)
ch vm create warm --memory 512 >/dev/null 2>&1 && ch vm rm warm >/dev/null 2>&1
kit=$(ms "$t0" "$(now)")

ready="" deploy="" accel="" why=""
i=1
while [ "$i" -le "$RUNS" ]; do
	t0=$(now)
	ch --json vm create "bench$i" --memory 512 >"$STATE/create.json" 2>"$STATE/create.err" || {
		cat "$STATE/create.err" >&2
		exit 1
	}
	t1=$(now)
	ch deploy -q -t "bench$i" -c "$HERE/../../examples/hello/default.nix" >/dev/null
	t2=$(now)
	ready="$ready $(ms "$t0" "$t1")"
	deploy="$deploy $(ms "$t1" "$t2")"
	accel=$(jq -r .vm.accel "$STATE/create.json")
	why=$(jq -r '.accel_why // ""' "$STATE/create.json")
	ch vm rm "bench$i" >/dev/null 2>&1
	i=$((i + 1))
done

# The bare boot: the kit's kernel and initramfs to the first init's line, then power-off.
KIT=$(ls -d "$STATE"/vm/kit/*/ | head -n 1)
KERNEL=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
bare=""
i=1
while [ "$i" -le "$RUNS" ]; do
	t0=$(now)
	qemu-system-x86_64 -nodefaults -machine "q35,accel=$accel" -cpu max -m 512 -kernel "$KERNEL" \
		-initrd "$KIT/initrd.gz" -append "console=ttyS0 panic=-1 quiet chimera.probe=1" -no-reboot \
		-display none -serial "file:$STATE/bare.log" </dev/null >/dev/null 2>&1
	t1=$(now)
	grep -q "chimera-probe: init reached" "$STATE/bare.log" || { echo "bare boot did not reach init" >&2; exit 1; }
	bare="$bare $(ms "$t0" "$t1")"
	i=$((i + 1))
done

r=$(echo "$ready" | median)
d=$(echo "$deploy" | median)
b=$(echo "$bare" | median)
target=30000
[ "$accel" = kvm ] && target=10000
echo "vm benchmark, median of $RUNS, $(nproc) cores, accelerator $accel${why:+ ($why)}"
printf '  %-44s %8d ms\n' "first create and rm here (making the kit too)" "$kit"
printf '  %-44s %8d ms   (runs:%s)\n' "chimera vm create to SSH-ready" "$r" "$ready"
printf '  %-44s %8d ms   (runs:%s)\n' "first deploy of examples/hello" "$d" "$deploy"
printf '  %-44s %8d ms   (runs:%s)\n' "bare qemu boot to its first init, and off" "$b" "$bare"
printf '  %-44s %8.2fx\n' "SSH-ready / bare boot" "$(echo "$r $b" | awk '{ print $1 / $2 }')"
printf '  %-44s %8.2f    (target %d ms; under 1 meets it)\n' "SSH-ready / target" "$(echo "$r $target" | awk '{ print $1 / $2 }')" "$target"
left=$(ps -eo stat=,args= | awk -v p="$STATE/vm" '$1 !~ /^Z/ && index($0, p) > 0' | grep -vc awk || true)
printf '  %-44s %8d\n' "QEMU processes left" "$left"
rm -rf "$STATE"
[ "$left" -eq 0 ]
