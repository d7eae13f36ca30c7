#pragma once
// How long one core takes to read a block of floats that already sits in its
// L2 cache: the bound of one dense image, whose inference reads each weight
// once (101,200 floats, 405 KB: more than an L1 cache holds, well within the
// L2 of either of this project's cores, 1 MB on Zen 4, 2 MB on the Intel VM).
// Inference rows report their time as a multiple of it ("L2_reads").
#include <algorithm>
#include <cstddef>
#include <map>

#include <benchmark/benchmark.h>

#include "peak_fma.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/memory.hpp"

namespace bench {

// Reads count floats once, a vector at a time into eight sums (loads are the
// only limit), and returns their total so that no load can be left out.
template <class Arch>
float read_floats(const float* data, std::size_t count) {
    using V = typenet::kernels::floats<Arch>;
    constexpr std::size_t W = typenet::kernels::lanes<Arch>, sums = 8;
    V sum[sums];
    for (auto& s : sum) s = V(0.0f);
    const std::size_t whole = count / (W * sums) * (W * sums);
    for (std::size_t i = 0; i < whole; i += W * sums)
        for (std::size_t s = 0; s < sums; ++s) sum[s] += V::load_aligned(data + i + s * W);
    float total = 0.0f;
    for (std::size_t i = whole; i < count; ++i) total += data[i];
    for (const auto& s : sum) total += typenet::simd::hadd(s);
    return total;
}

// The seconds of one read of count floats from L2: the best of runs of 64
// reads over half a second, after a tenth of a second of the same (as the FMA
// peak: a run can lose time to other processes, never gain any).
template <class Arch>
double measure_l2_read_seconds(std::size_t count) {
    constexpr std::size_t reads = 64;
    constexpr double warm_up_seconds = 0.1, measured_seconds = 0.5;
    typenet::AlignedFloats block(count);
    std::fill_n(block.data(), count, 1.0f);
    auto run = [&] {
        for (std::size_t r = 0; r < reads; ++r) benchmark::DoNotOptimize(read_floats<Arch>(block.data(), count));
    };
    for (const double start = thread_seconds(); thread_seconds() - start < warm_up_seconds;) run();
    double best = 1e300;
    for (const double first = thread_seconds(); thread_seconds() - first < measured_seconds;) {
        const double start = thread_seconds();
        run();
        best = std::min(best, (thread_seconds() - start) / reads);
    }
    return best;
}

// The same, measured once a count for the whole program.
template <class Arch>
double l2_read_seconds(std::size_t count) {
    static std::map<std::size_t, double> measured;
    const auto found = measured.find(count);
    return found != measured.end() ? found->second : measured[count] = measure_l2_read_seconds<Arch>(count);
}

}  // namespace bench
