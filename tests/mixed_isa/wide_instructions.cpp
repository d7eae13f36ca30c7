// The control: an AVX-512 instruction, which the test's runner must refuse
// (SIGILL). If it ran, the mixed-unit tests would prove nothing. Written in
// assembly so that no compiler can fold it away.
#include <cstdio>

int main() {
    asm volatile("vpxord %%zmm0, %%zmm0, %%zmm0" ::: "xmm0");
    std::printf("ran AVX-512\n");
    return 0;
}
