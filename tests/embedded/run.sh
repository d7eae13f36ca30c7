#!/usr/bin/env bash
# Builds tests/embedded/denoise_one_image.cpp as an embedded app is built:
# without exceptions and RTTI, natively and for a 32-bit target (-m32 with
# SSE2, xsimd's floor), beside a reference built as the rest of the suite
# is. The embedded objects must reference no allocator, no exception
# machinery and no fmt; all three must report the misuse, and give the
# reference's pixels (the 32-bit one within 1e-5: other vector widths add
# in another order).
#   run.sh COMPILER ARCH INCLUDE_DIR DENOISER_HEADER WORK_DIR
set -euo pipefail
compiler=$1 arch=$2 include=$3 header=$4 work=$5
source=$(dirname "$0")/denoise_one_image.cpp
mkdir -p "$work"
common=(-std=c++20 -O2 -I"$include" "-DTYPENET_DENOISER_HEADER=\"$header\"")

build() {  # name, link libraries, flags...
  local name=$1 libraries=$2
  shift 2
  "$compiler" "${common[@]}" "$@" -c "$source" -o "$work/$name.o"
  "$compiler" "$@" "$work/$name.o" -o "$work/$name" $libraries
}
build reference -lfmt "-march=$arch"
build embedded "" "-march=$arch" -fno-exceptions -fno-rtti
build embedded32 "" -m32 -msse2 -mfpmath=sse -fno-exceptions -fno-rtti

forbidden='malloc|calloc|realloc|aligned_alloc|posix_memalign|_Znw|_Zna|__cxa_allocate_exception|__cxa_throw|fmt'
for name in embedded embedded32; do
  if found=$(nm --undefined-only "$work/$name.o" | grep -E "$forbidden"); then
    echo "$name.o needs what an embedded app may not have:"; echo "$found"; exit 1
  fi
done

for name in reference embedded embedded32; do "$work/$name" > "$work/$name.txt"; done
cmp "$work/reference.txt" "$work/embedded.txt"
paste "$work/reference.txt" "$work/embedded32.txt" | awk '
  { d = $1 - $2; if (d < 0) d = -d; if (d > worst) worst = d; n++ }
  END { printf "784 pixels: %d lines, the 32-bit build within %.3g of the reference\n", n, worst
        if (n != 784 || worst > 1e-5) exit 1 }'
