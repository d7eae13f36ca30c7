#pragma once
// The most floating-point work one core can do: nothing but fused
// multiply-adds on full vectors, no memory traffic. Every "peak%" in the suite
// is a share of this.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ctime>

#include <benchmark/benchmark.h>

#include "typenet/kernels/simd.hpp"

namespace bench {

// Independent accumulators. An FMA's result is ready only after its latency
// (4 cycles on current x86 cores), and two FMA pipes each start one per cycle,
// so 8 chains in flight keep both busy; 12 leave a margin and, with the two
// constants, still fit in the 16 vector registers of AVX2.
inline constexpr std::size_t fma_chains = 12;

// An FMA counts as two floating-point operations per lane.
template <class Arch>
constexpr double fma_flops(std::uint64_t rounds) {
    return 2.0 * static_cast<double>(rounds) * fma_chains * typenet::kernels::lanes<Arch>;
}

// rounds x fma_chains vector FMAs, each chain depending only on itself.
template <class Arch>
void fma_rounds(std::uint64_t rounds) {
    using V = typenet::kernels::floats<Arch>;
    // x -> 0.999 x + 0.001 pulls every chain towards 1: no overflow, no denormals.
    const V factor(0.999f), term(0.001f);
    V chains[fma_chains];
    for (std::size_t c = 0; c < fma_chains; ++c) {
        chains[c] = V(1.0f + 0.01f * static_cast<float>(c));
        // Opaque starting values, so that no two chains can be proven equal and merged.
        benchmark::DoNotOptimize(chains[c]);
    }
    for (std::uint64_t r = 0; r < rounds; ++r)
        for (auto& chain : chains) chain = xsimd::fma(chain, factor, term);
    for (auto& chain : chains) benchmark::DoNotOptimize(chain);
}

// The calling thread's CPU time, the clock Google Benchmark times with by default.
inline double thread_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// FLOP/s of fma_rounds on this core, the best of runs of about 10 ms over
// at least half a second, after a tenth of a second of the same work to bring
// the core to its clock: on a shared machine a run can lose time to other
// processes (a hypervisor's steal, cache and frequency interference) but
// never gain any, so the fastest run is the closest to what the core can do.
// (Eight runs without the warm-up once read 155 GFLOP/s on a core that does 175.)
template <class Arch>
double measure_peak_flops_per_second() {
    constexpr std::uint64_t rounds = std::uint64_t{1} << 21;
    constexpr double warm_up_seconds = 0.1, measured_seconds = 0.5;
    for (const double start = thread_seconds(); thread_seconds() - start < warm_up_seconds;) fma_rounds<Arch>(rounds);
    double best = 0.0;
    for (const double first = thread_seconds(); thread_seconds() - first < measured_seconds;) {
        const double start = thread_seconds();
        fma_rounds<Arch>(rounds);
        best = std::max(best, fma_flops<Arch>(rounds) / (thread_seconds() - start));
    }
    return best;
}

}  // namespace bench
