#!/usr/bin/env bash
# Refreshes the public API files of the shipped libraries (runtime/Walkers, runtime/Walkers.Layouts,
# runtime/Walkers.Images) after a deliberate change of their public surface: the runtime's own types, or the
# members the generator emits into Walkers.Layouts' layouts. The public API analyzer
# (Microsoft.CodeAnalysis.PublicApiAnalyzers, applied in build/Walkers.Common.targets) makes every undeclared
# change an error; this script builds the libraries with warnings left as warnings and applies what it reports:
#   RS0016, a public symbol that is not declared: its line is added to the project's PublicAPI.Unshipped.txt;
#   RS0017, a declared symbol that no longer exists: its line is removed from PublicAPI.Unshipped.txt or, if it is
#           in PublicAPI.Shipped.txt (released), "*REMOVED*<line>" is added to PublicAPI.Unshipped.txt.
# PublicAPI.Unshipped.txt is then kept sorted (ordinal) under its "#nullable enable" line. It builds again until
# the analyzer has nothing to say (at most three rounds) and fails if anything is left. Review the diff: each line
# is an API change. At a release, move the Unshipped lines into PublicAPI.Shipped.txt by hand.
#
# Usage: build/update-public-api.sh [path/to/Project.csproj ...]   (default: the three libraries)
# Environment: CONFIGURATION (default Release).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
configuration="${CONFIGURATION:-Release}"
if [ "$#" -gt 0 ]; then
    projects=("$@")
else
    projects=(runtime/Walkers.Layouts/Walkers.Layouts.csproj runtime/Walkers.Images/Walkers.Images.csproj runtime/Walkers/Walkers.csproj)
fi
export DOTNET_CLI_UI_LANGUAGE=en DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
log="$(mktemp)"
trap 'rm -f "$log" "$log".*' EXIT

# Builds every project once and leaves "RULE<TAB>project directory<TAB>symbol" lines in $log.findings.
collect() {
    : > "$log"
    for project in "${projects[@]}"; do
        local dir
        dir="$(dirname "$project")"
        for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
            [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
        done
        # The API files are inputs of the compile: touching them makes it run (and report) even when up to date.
        touch "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt"
    done
    for project in "${projects[@]}"; do
        # The exit code is not the verdict (the findings are): an error elsewhere shows in the log below.
        dotnet build "$project" -c "$configuration" -tl:off -clp:NoSummary -p:TreatWarningsAsErrors=false >> "$log" 2>&1 || true
    done
    sed -nE "s/^.*: (warning|error) (RS001[67]): Symbol '(.*)' (is not part of the declared public API|is part of the declared API, but is either not public or could not be found).* \[([^]]+)\]\$/\2\t\5\t\3/p" "$log" \
        | awk -F '\t' 'BEGIN { OFS = "\t" } { n = split($2, p, "/"); dir = substr($2, 1, length($2) - length(p[n]) - 1); print $1, dir, $3 }' \
        | LC_ALL=C sort -u > "$log.findings"
}

# Applies the findings of one project directory to its PublicAPI.Unshipped.txt.
apply() {
    local dir="$1" shipped="$1/PublicAPI.Shipped.txt" unshipped="$1/PublicAPI.Unshipped.txt"
    awk -F '\t' -v dir="$dir" '$2 == dir && $1 == "RS0016" { print $3 }' "$log.findings" > "$log.add"
    awk -F '\t' -v dir="$dir" '$2 == dir && $1 == "RS0017" { print $3 }' "$log.findings" > "$log.gone"
    # Removed symbols that were shipped are recorded as removed; the others simply go.
    grep -Fxf "$log.gone" "$shipped" | sed 's/^/*REMOVED*/' >> "$log.add" || true
    {
        printf '#nullable enable\n'
        { grep -vFx '#nullable enable' "$unshipped" | grep -vFxf "$log.gone" || true; cat "$log.add"; } | grep -v '^$' | LC_ALL=C sort -u
    } > "$log.new"
    if ! cmp -s "$log.new" "$unshipped"; then
        cp "$log.new" "$unshipped"
        echo "updated ${unshipped#"$root"/}: +$(wc -l < "$log.add") -$(wc -l < "$log.gone")"
    fi
}

for round in 1 2 3; do
    collect
    if [ ! -s "$log.findings" ]; then
        if grep -qE ': (warning|error) RS00[0-9][0-9]:' "$log"; then
            echo "The API files need a hand: other public API diagnostics remain:" >&2
            grep -E ': (warning|error) RS00[0-9][0-9]:' "$log" | LC_ALL=C sort -u >&2
            exit 1
        fi
        if grep -qE ': error ' "$log"; then
            echo "The build has errors the API files cannot fix:" >&2
            grep -E ': error ' "$log" | LC_ALL=C sort -u >&2
            exit 1
        fi
        echo "Public API files are up to date."
        exit 0
    fi
    cut -f2 "$log.findings" | LC_ALL=C sort -u | while read -r dir; do apply "$dir"; done
done
echo "Still RS0016/RS0017 after three rounds:" >&2
cut -f1,3 "$log.findings" >&2
exit 1
