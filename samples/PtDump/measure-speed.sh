#!/usr/bin/env bash
# Times ptdump's QEMU listings of the oracle captures, whole process, wall clock (the issue's speed target:
# both formats of a 128 MiB capture within 0.10 s from the uncompressed ELF, 0.28 s from the .zst).
# Measures the framework-dependent build and the Native AOT publish. Needs hyperfine (apt-get install hyperfine).
# Usage: samples/PtDump/measure-speed.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="$root/../shared/oracle/data"
runs="${1:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet build "$root/samples/PtDump" -c Release --artifacts-path "$work/jit" -v:q -nologo >/dev/null
dotnet publish "$root/samples/PtDump" -c Release -r linux-x64 -p:PtDumpNativeAot=true --artifacts-path "$work/aot" -v:q -nologo >/dev/null
jit="$work/jit/bin/PtDump/release/ptdump"
aot="$work/aot/publish/PtDump/release_linux-x64/ptdump"

for variant in x86_64-4level i386-pae; do
    zstd -q -d "$data/$variant/mem.elf.zst" -o "$work/$variant.elf"
    for build in jit aot; do
        program="${!build}"
        for format in qemu-tlb qemu-mem; do
            cmp -s <("$program" "$data/$variant/mem.elf.zst" --format "$format") "$data/$variant/${format#qemu-}.txt" \
                || { echo "$build $variant $format differs from QEMU" >&2; exit 1; }
        done
        hyperfine -N -w 3 -r "$runs" --export-markdown "$work/$variant-$build.md" \
            -n "$build $variant elf tlb" "$program $work/$variant.elf --format qemu-tlb" \
            -n "$build $variant elf mem" "$program $work/$variant.elf --format qemu-mem" \
            -n "$build $variant zst tlb" "$program $data/$variant/mem.elf.zst --format qemu-tlb" \
            -n "$build $variant zst mem" "$program $data/$variant/mem.elf.zst --format qemu-mem" >/dev/null
        tail -n +3 "$work/$variant-$build.md"
    done
    rm "$work/$variant.elf"
done
