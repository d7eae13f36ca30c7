#!/usr/bin/env bash
# Builds tests/embedded/denoise_one_image.cpp as an embedded app is built:
# without exceptions and RTTI, natively, without SIMD (TYPENET_NO_SIMD, as
# for a processor xsimd does not know), and for a 32-bit ARM core (ARMv7-A
# with NEON, Debian's arm-linux-gnueabihf cross compiler, run under
# qemu-arm), beside a reference built as the rest of the suite is. The
# embedded objects must reference no allocator, no exception machinery and
# no fmt; all must report the misuse, and give the reference's pixels (the
# scalar and 32-bit ARM ones within 1e-5: other vector widths add in another
# order).
#   run.sh COMPILER ARCH INCLUDE_DIR DENOISER_HEADER WORK_DIR
set -euo pipefail
compiler=$1 arch=$2 include=$3 header=$4 work=$5
source=$(dirname "$0")/denoise_one_image.cpp
arm32=arm-linux-gnueabihf-
mkdir -p "$work"
common=(-std=c++20 -O2 -I"$include" "-DTYPENET_DENOISER_HEADER=\"$header\"")
embedded=(-fno-exceptions -fno-rtti)

build() {  # name, compiler, link flags, compile flags...
  local name=$1 cxx=$2 link=$3
  shift 3
  "$cxx" "${common[@]}" "$@" -c "$source" -o "$work/$name.o"
  "$cxx" "$@" "$work/$name.o" -o "$work/$name" $link
}
build reference "$compiler" -lfmt "-march=$arch"
build embedded "$compiler" "" "-march=$arch" "${embedded[@]}"
build embedded_scalar "$compiler" "" -DTYPENET_NO_SIMD "${embedded[@]}"
build embedded_arm32 "${arm32}g++" -static -march=armv7-a -mfpu=neon -mfloat-abi=hard "${embedded[@]}"

forbidden='malloc|calloc|realloc|aligned_alloc|posix_memalign|_Znw|_Zna|__cxa_allocate_exception|__cxa_throw|fmt'
for name in embedded embedded_scalar embedded_arm32; do
  nm=nm
  [ "$name" = embedded_arm32 ] && nm=${arm32}nm
  if found=$("$nm" --undefined-only "$work/$name.o" | grep -E "$forbidden"); then
    echo "$name.o needs what an embedded app may not have:"; echo "$found"; exit 1
  fi
done

for name in reference embedded embedded_scalar; do "$work/$name" > "$work/$name.txt"; done
qemu-arm "$work/embedded_arm32" > "$work/embedded_arm32.txt"
cmp "$work/reference.txt" "$work/embedded.txt"
for name in embedded_scalar embedded_arm32; do
  paste "$work/reference.txt" "$work/$name.txt" | awk -v name="$name" '
    { d = $1 - $2; if (d < 0) d = -d; if (d > worst) worst = d; n++ }
    END { printf "784 pixels: %d lines, %s within %.3g of the reference\n", n, name, worst
          if (n != 784 || worst > 1e-5) exit 1 }'
done
