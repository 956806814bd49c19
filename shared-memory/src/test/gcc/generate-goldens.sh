#!/usr/bin/env bash
# Records how GCC lays out the test headers for each of Archipelago's five data models: the
# golden layouts the layout engine is tested against (GoldenLayoutTest).
#
#   shared-memory/src/test/gcc/generate-goldens.sh [OUTPUT_DIR]
#
# OUTPUT_DIR defaults to shared-memory/src/test/resources/typed/goldens (the committed goldens);
# GccRegenerationTest passes a temporary directory and compares.
#
# How, without trusting our own parser for anything:
#   1. the names: the header is compiled by the native gcc with DWARF and every type it
#      declares (structs, unions, enums, typedefs) and every member (anonymous members
#      looked through) is read back from the debug information with readelf;
#   2. the numbers: a probe file with one global `char p_N[VALUE + 1]` per sizeof, _Alignof,
#      offsetof and member sizeof is compiled by each cross compiler, and each VALUE is read
#      back as the size of symbol p_N in the object file (readelf -s works for any ELF target).
#
# Needs (Debian): gcc gcc-aarch64-linux-gnu gcc-i686-linux-gnu gcc-arm-linux-gnueabihf
# gcc-powerpc-linux-gnu binutils. Nothing is run on the targets.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(cd "$here/../../.." && pwd)"
out="${1:-$module/src/test/resources/typed/goldens}"
headers=("$module"/src/test/resources/typed/headers/*.h "$module"/src/main/resources/archipelago/headers/*.h)

# data model -> compiler
native_cc=gcc
if command -v x86_64-linux-gnu-gcc > /dev/null; then native_cc=x86_64-linux-gnu-gcc; fi
declare -A compilers=(
  [x86_64]="$native_cc"
  [aarch64]=aarch64-linux-gnu-gcc
  [i386]=i686-linux-gnu-gcc
  [armv7]=arm-linux-gnueabihf-gcc
  [ppc32]=powerpc-linux-gnu-gcc
)
models=(x86_64 aarch64 i386 armv7 ppc32)

missing=()
for model in "${models[@]}"; do
  command -v "${compilers[$model]}" > /dev/null || missing+=("${compilers[$model]} ($model)")
done
command -v readelf > /dev/null || missing+=("readelf (binutils)")
if [ "$("$native_cc" -dumpmachine 2> /dev/null | cut -d- -f1)" != x86_64 ]; then
  missing+=("an x86_64 $native_cc (found $("$native_cc" -dumpmachine 2> /dev/null || echo none))")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "generate-goldens: missing compilers: ${missing[*]}" >&2
  echo "  install them with: apt-get install gcc gcc-aarch64-linux-gnu gcc-i686-linux-gnu gcc-arm-linux-gnueabihf gcc-powerpc-linux-gnu" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# What every probe sees before the header: the types the header subset has built in.
prelude() {
  cat << 'EOF'
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
typedef __PTRDIFF_TYPE__ ssize_t; /* glibc's ssize_t has the size and alignment of ptrdiff_t */
EOF
}

# Lists the types a header declares and their members, from DWARF:
#   T|<C spelling>            a type (struct X, union X, enum X, or a typedef name)
#   M|<C spelling>|<member>|<flexible 0/1>
list_names() {
  local header="$1" base
  base="$(basename "$header")"
  { prelude; echo "#include \"$header\""; } > "$work/names.c"
  "$native_cc" -std=gnu11 -ffreestanding -gdwarf-4 -fno-eliminate-unused-debug-types -c "$work/names.c" -o "$work/names.o"
  local file_number
  file_number="$(readelf --debug-dump=rawline "$work/names.o" | awk -v base="$base" '
    /The File Name Table/ { table = 1; next }
    table && NF >= 5 && $NF == base { print $1; exit }')"
  if [ -z "$file_number" ]; then
    echo "generate-goldens: cannot find $base in the DWARF line table" >&2
    exit 1
  fi
  readelf --debug-dump=info "$work/names.o" | awk -v file="$file_number" '
    function value(line) { sub(/^[^:]*:[ \t]*/, "", line); if (line ~ /^\(indirect/) sub(/^\([^)]*\):[ \t]*/, "", line); return line }
    /^ *<[0-9]+><[0-9a-f]+>: Abbrev Number: 0/ { next }
    /^ *<[0-9]+><[0-9a-f]+>: Abbrev Number/ {
      match($0, /<[0-9]+>/); depth = substr($0, RSTART + 1, RLENGTH - 2) + 0
      rest = substr($0, RSTART + RLENGTH); match(rest, /<[0-9a-f]+>/); die = "0x" substr(rest, RSTART + 1, RLENGTH - 2)
      match($0, /\(DW_TAG_[a-z_]+\)/); tag[die] = substr($0, RSTART + 8, RLENGTH - 9)
      parent[die] = (depth > 0) ? stack[depth - 1] : ""; stack[depth] = die; dep[die] = depth
      order[++count] = die; children[parent[die]] = children[parent[die]] " " die
      next
    }
    /DW_AT_name/       { name[die] = value($0); next }
    /DW_AT_decl_file/  { decl[die] = value($0) + 0; next }
    /DW_AT_type/       { t = value($0); gsub(/[<>]/, "", t); type[die] = t; next }
    /DW_AT_upper_bound|DW_AT_count/ { bounded[parent[die]] = 1; next }
    function strip(d) { while (tag[d] == "const_type" || tag[d] == "volatile_type" || tag[d] == "restrict_type") d = type[d]; return d }
    function resolve(d) { d = strip(d); while (tag[d] == "typedef") d = strip(type[d]); return d }
    function members(d, spelling,    n, i, c, ct, kids) {
      n = split(children[d], kids, " ")
      for (i = 1; i <= n; i++) {
        c = kids[i]
        if (tag[c] != "member") continue
        if (c in name) {
          ct = strip(type[c])
          print "M|" spelling "|" name[c] "|" ((tag[ct] == "array_type" && !(ct in bounded)) ? 1 : 0)
        } else {
          members(resolve(type[c]), spelling)
        }
      }
    }
    END {
      for (i = 1; i <= count; i++) {
        d = order[i]
        if (dep[d] != 1 || decl[d] != file || !(d in name)) continue
        if (tag[d] == "structure_type" || tag[d] == "union_type" || tag[d] == "enumeration_type") {
          kw = (tag[d] == "structure_type") ? "struct" : (tag[d] == "union_type") ? "union" : "enum"
          print "T|" kw " " name[d]
          if (kw != "enum") members(d, kw " " name[d])
        } else if (tag[d] == "typedef") {
          print "T|" name[d]
          target = resolve(type[d])
          if (tag[target] == "structure_type" || tag[target] == "union_type") members(target, name[d])
        }
      }
    }'
}

for header in "${headers[@]}"; do
  base="$(basename "$header" .h)"
  list_names "$header" > "$work/$base.names"
  # probes: one symbol per number, described in $base.probes (index|kind|type|member)
  : > "$work/$base.probes"
  {
    prelude
    echo "#include \"$header\""
    n=0
    while IFS='|' read -r kind spelling member flexible; do
      if [ "$kind" = T ]; then
        echo "char p_$n[sizeof($spelling) + 1];";   echo "$n|size|$spelling|" >> "$work/$base.probes"; n=$((n + 1))
        echo "char p_$n[_Alignof($spelling) + 1];"; echo "$n|align|$spelling|" >> "$work/$base.probes"; n=$((n + 1))
      else
        echo "char p_$n[__builtin_offsetof($spelling, $member) + 1];"; echo "$n|offset|$spelling|$member" >> "$work/$base.probes"; n=$((n + 1))
        if [ "$flexible" = 1 ]; then
          echo "$n|flexible|$spelling|$member" >> "$work/$base.probes"; n=$((n + 1))
        else
          echo "char p_$n[sizeof(((${spelling} *) 0)->${member}) + 1];"; echo "$n|msize|$spelling|$member" >> "$work/$base.probes"; n=$((n + 1))
        fi
      fi
    done < "$work/$base.names"
  } > "$work/$base.probe.c"

  for model in "${models[@]}"; do
    cc="${compilers[$model]}"
    "$cc" -std=gnu11 -ffreestanding -fno-common -w -c "$work/$base.probe.c" -o "$work/$base.$model.o"
    readelf -sW "$work/$base.$model.o" | awk '
      function number(text,    i, v) {   # readelf prints large sizes in hex
        if (text !~ /^0x/) return text + 0
        v = 0; text = tolower(substr(text, 3))
        for (i = 1; i <= length(text); i++) v = v * 16 + index("0123456789abcdef", substr(text, i, 1)) - 1
        return v
      }
      $8 ~ /^p_[0-9]+$/ { sub(/^p_/, "", $8); print $8 "|" number($3) - 1 }' \
      | sort -t'|' -k1,1n > "$work/$base.$model.values"
    golden="$out/$base.$model.golden"
    {
      echo "# GCC layouts of $base.h for $model: $("$cc" --version | head -1), -std=gnu11 -ffreestanding"
      echo "# generated by shared-memory/src/test/gcc/generate-goldens.sh; do not edit"
      echo "# type<TAB>C type<TAB>size<TAB>align   |   member<TAB>C type<TAB>member<TAB>offset<TAB>size"
      awk -F'|' '
        NR == FNR { value[$1] = $2; next }
        $2 == "size"     { size = value[$1]; next }
        $2 == "align"    { printf "type\t%s\t%s\t%s\n", $3, size, value[$1]; next }
        $2 == "offset"   { offset = value[$1]; next }
        $2 == "msize"    { printf "member\t%s\t%s\t%s\t%s\n", $3, $4, offset, value[$1]; next }
        $2 == "flexible" { printf "member\t%s\t%s\t%s\t0\n", $3, $4, offset; next }
      ' "$work/$base.$model.values" "$work/$base.probes"
    } > "$golden"
  done
  echo "generate-goldens: $base.h: $(grep -c '^T|' "$work/$base.names") types for ${models[*]}"
done
