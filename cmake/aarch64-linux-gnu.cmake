# Cross-building for 64-bit ARM Linux with Debian's cross compiler
# (g++-aarch64-linux-gnu), the arm64 packages of the dependencies installed
# through multiarch (dpkg --add-architecture arm64; tools/install-dependencies.sh
# arm64 does both), and the programs run under QEMU's user-mode emulator
# (qemu-user), which ctest puts in front of every test:
#
#   cmake -S . -B build-arm64 --toolchain cmake/aarch64-linux-gnu.cmake
#   cmake --build build-arm64 -j2 && ctest --test-dir build-arm64
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Where Debian's multiarch puts the arm64 libraries and their CMake files.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# -march=native means nothing to a cross compiler. ARMv8-A is every 64-bit ARM
# core, and NEON is part of it; a build for one device may ask for more
# (e.g. armv8.2-a+dotprod).
set(TYPENET_ARCH "armv8-a" CACHE STRING "-march for typenet's own tests, samples and benchmarks")
# What a data set, PLplot or x86 needs is not built: the portable tests and embed_denoiser.
set(TYPENET_PORTABLE_TESTS_ONLY ON CACHE BOOL "Build only the tests that need neither the data set nor PLplot")
find_program(TYPENET_QEMU_AARCH64 qemu-aarch64)
if(TYPENET_QEMU_AARCH64)
  # The programs load the arm64 C library multiarch installed (libc6:arm64,
  # in /lib/aarch64-linux-gnu), not the cross compiler's copy in
  # /usr/aarch64-linux-gnu: with that one (2.36-8cross1) under QEMU 7.2 a
  # program that starts a thread hangs.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TYPENET_QEMU_AARCH64} -L /)
endif()
