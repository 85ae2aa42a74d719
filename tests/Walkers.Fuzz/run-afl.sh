#!/usr/bin/env bash
# Runs one fuzz target under AFL++ with SharpFuzz instrumentation (docs/fuzzing.md).
#   tests/Walkers.Fuzz/run-afl.sh TARGET [SECONDS] [OUT]
# TARGET: images, walkers or generator; SECONDS: how long (default 600); OUT: afl-fuzz's output folder
# (default /tmp/walkers-afl/TARGET). Crashes land in OUT/default/crashes: replay them with
#   dotnet tests/Walkers.Fuzz/bin/Release/net10.0/Walkers.Fuzz.dll TARGET --replay OUT/default/crashes
# Needs: afl++ (apt-get install afl++) and the SharpFuzz.CommandLine 2.3.0 tool (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:?usage: run-afl.sh images|walkers|generator [SECONDS] [OUT]}
seconds=${2:-600}
out=${3:-/tmp/walkers-afl/$target}
bin=/tmp/walkers-afl/bin

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
tools=/tmp/walkers-afl/tools
if [ ! -x "$tools/sharpfuzz" ]; then
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

# A self-contained copy of the fuzz project whose product assemblies carry AFL's edge counters. SharpFuzz rewrites
# them in place, so this is a publish folder of its own, never the build output the tests use.
if [ ! -f "$bin/.instrumented" ] || [ -n "$(find runtime samples/PtDump generator tests/Walkers.Fuzz -name '*.cs' -newer "$bin/.instrumented" -print -quit)" ]; then
    rm -rf "$bin"
    dotnet publish tests/Walkers.Fuzz -c Release -o "$bin" --nologo -v quiet
    for assembly in Walkers Walkers.Layouts Walkers.Images ptdump Walkers.Generator; do
        "$tools/sharpfuzz" "$bin/$assembly.dll"
    done
    touch "$bin/.instrumented"
fi

mkdir -p "$out"
# The corpus's top level (afl-fuzz reads the seeds once; it keeps its own queue in OUT) plus the regressions.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
find "tests/Walkers.Fuzz/corpus/$target" -type f -exec cp {} "$seeds/" \;

# The .NET host is not an AFL-instrumented binary (SKIP_BIN_CHECK); the JIT needs memory (-m none); a first
# execution JIT-compiles for seconds (-t). AFL_NO_AFFINITY: the CI machine has 2 cores and nothing to pin.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_TieredPGO=0
timeout --signal=INT "$((seconds + 30))" afl-fuzz -V "$seconds" -i "$seeds" -o "$out" -t 20000 -m none -- "$bin/Walkers.Fuzz" "$target" || true
stats="$out/default/fuzzer_stats"
if [ -f "$stats" ]; then
    grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg|edges_found)' "$stats"
fi
