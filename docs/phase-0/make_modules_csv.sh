#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Regenerate modules.csv (the EMQX module inventory) from an EMQX reference
# modules.csv whose header is
#   erl_module,app,description,complexity,depends_on,n_lines
# by dropping the `app` column. Every other field is copied byte for byte, so
# quoted fields keep their quotes. Output lines end in LF.
#
# usage: make_modules_csv.sh REFERENCE_MODULES_CSV [OUTPUT]
#        OUTPUT defaults to modules.csv next to this script; "-" writes to stdout.

set -eu

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    echo "usage: $0 REFERENCE_MODULES_CSV [OUTPUT|-]" >&2
    exit 2
fi

src=$1
if [ ! -r "$src" ]; then
    echo "$0: cannot read $src" >&2
    exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/modules.csv}

run() {
    awk '
    # Split one CSV record into raw fields f[1..nf], keeping quotes as written.
    function split_csv(s,    i, c, inq, cur) {
        nf = 0; cur = ""; inq = 0
        for (i = 1; i <= length(s); i++) {
            c = substr(s, i, 1)
            if (c == "\"") {
                inq = !inq          # a doubled "" toggles twice: stays inside
                cur = cur c
            } else if (c == "," && !inq) {
                f[++nf] = cur; cur = ""
            } else {
                cur = cur c
            }
        }
        f[++nf] = cur
    }
    function quotes(s,    t) { t = s; return gsub(/"/, "", t) }
    {
        sub(/\r$/, "")
        rec = (pending == "") ? $0 : pending "\n" $0
        # a record with an odd number of quotes continues on the next line
        if (quotes(rec) % 2 == 1) { pending = rec; next }
        pending = ""
        split_csv(rec)
        if (!seen_header) {
            seen_header = 1
            drop = 0
            for (i = 1; i <= nf; i++) if (f[i] == "app") drop = i
            if (drop == 0) { print "no app column in header" > "/dev/stderr"; bad = 1; exit 1 }
            width = nf
        } else if (nf != width) {
            printf "record %d has %d fields, expected %d\n", ++rows, nf, width > "/dev/stderr"
            bad = 1; exit 1
        } else {
            rows++
        }
        line = ""; sep = ""
        for (i = 1; i <= nf; i++) {
            if (i == drop) continue
            line = line sep f[i]; sep = ","
        }
        print line
    }
    END {
        if (bad) exit 1
        if (pending != "") { print "unterminated quoted field at end of input" > "/dev/stderr"; exit 1 }
        printf "%d modules\n", rows > "/dev/stderr"
    }
    ' "$src"
}

if [ "$out" = "-" ]; then
    run
else
    tmp=$out.tmp.$$
    trap 'rm -f "$tmp"' EXIT INT TERM
    run > "$tmp"
    mv "$tmp" "$out"
    trap - EXIT INT TERM
fi
