#pragma once
// What the suite's files share: the FLOP count of every layer and model, the
// counters every benchmark reports, and its inputs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "typenet/graph.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/memory.hpp"
#include "typenet/random.hpp"

namespace bench {

using Arch = typenet::kernels::native_arch;

void register_kernel_benchmarks();
void register_model_benchmarks();
void register_activation_benchmarks();

// One core's FMA peak in FLOP/s, measured by main before any benchmark runs.
inline double peak_flops_per_second = 0.0;

// GFLOP/s, and its share of the FMA peak of the cores the benchmark keeps busy.
// The values are in the units their names give, so the JSON output means what
// it says; the console appends "/s" to every rate.
inline void report_flops(benchmark::State& state, double flops_per_iteration, std::size_t cores = 1) {
    using benchmark::Counter;
    state.counters["GFLOP/s"] = Counter(flops_per_iteration * 1e-9, Counter::kIsIterationInvariantRate);
    state.counters["peak%"] =
        Counter(100.0 * flops_per_iteration / (static_cast<double>(cores) * peak_flops_per_second),
                Counter::kIsIterationInvariantRate);
}

// Whether a bound layer multiplies by a kernel; the others (pooling,
// upsampling, softmax) are bound by memory and report bytes
// (report_layer_rate in bench_kernels.cpp).
template <class B>
inline constexpr bool has_product = requires { B::kernel_size; };

// Multiply-adds of one row through a bound layer's product: every kernel
// weight meets every window on the narrow side once. A dense layer has one
// window; a convolution has one per output pixel (2 out_pixels k k in filters
// FLOPs); a transposed convolution one per input pixel (2 in_pixels k k in
// filters). Windows overlapping the padding are counted whole, as is usual;
// the transposed kernels skip the taps that fall outside the image, so for
// them the count is up to a tenth above the arithmetic done.
// Bias, activation, loss and optimizer arithmetic is not counted: it is a few
// percent of a step, and leaving it out can only understate the rate.
template <class B>
constexpr double multiply_adds_per_row() {
    if constexpr (B::is_view || !has_product<B>)
        return 0.0;
    else if constexpr (requires { B::geometry; })
        return static_cast<double>(B::kernel_size) * static_cast<double>(B::geometry.rows());
    else
        return static_cast<double>(B::kernel_size);
}

template <class B>
constexpr double forward_flops(std::size_t rows) {
    return 2.0 * multiply_adds_per_row<B>() * static_cast<double>(rows);
}

// The weight gradient costs what forward costs, and so does the input gradient when it is needed.
template <class B>
constexpr double backward_flops(std::size_t rows, bool input_gradient) {
    return forward_flops<B>(rows) * (input_gradient ? 2.0 : 1.0);
}

// As in a training step: layer I computes no input gradient when only views come before it.
template <class M, std::size_t I>
inline constexpr bool needs_input_gradient = M::graph::needs_input_gradient(I, false);

// One row through a whole model: forward only, or forward and backward as a training step runs them.
template <class M>
constexpr double model_flops_per_row(bool training) {
    using graph = typename M::graph;
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return ((forward_flops<typename graph::template bound<I>>(1) +
                 (training ? backward_flops<typename graph::template bound<I>>(1, needs_input_gradient<M, I>) : 0.0)) +
                ... + 0.0);
    }(std::make_index_sequence<graph::layer_count>{});
}

// "28x28x1"
template <class S>
std::string shape_name() {
    return fmt::format("{}", fmt::join(S::dims, "x"));
}

inline typenet::AlignedFloats random_floats(std::size_t count, float low, float high, std::uint64_t seed) {
    typenet::AlignedFloats values(count);
    typenet::Random random(seed, typenet::Stream::test);
    for (std::size_t i = 0; i < count; ++i) values[i] = random.uniform(low, high);
    return values;
}

}  // namespace bench
