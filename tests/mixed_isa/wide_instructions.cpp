// The control: an AVX-512 instruction, which the test's runner must refuse
// (SIGILL). If it ran, the mixed-unit tests would prove nothing.
#include <immintrin.h>

#include <cstdio>

int main(int argc, char**) {
    volatile float input = float(argc);
    const __m512 wide = _mm512_add_ps(_mm512_set1_ps(input), _mm512_set1_ps(1.0f));
    std::printf("ran AVX-512: %f\n", double(_mm512_reduce_add_ps(wide)));
    return 0;
}
