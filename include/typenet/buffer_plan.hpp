#pragma once
// Buffers planned from lifetimes, at compile time: values that are never
// alive at once share a buffer. A value lives from the time it is written to
// the last time it is read, both included, so a layer's output never shares
// the buffer of an input it reads at that time.
#include <array>
#include <cstddef>

#include "typenet/instruction_set.hpp"
#include "typenet/memory.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// A value's floats a row, and when it is written and last read; an entry
// that is not planned (a view of another value, the skip gradient of a layer
// that is no merge) has size 0.
struct Lifetime {
    std::size_t first = 0, last = 0, size = 0;
};

template <std::size_t N>
struct BufferPlan {
    static constexpr std::size_t unplanned = static_cast<std::size_t>(-1);
    std::array<std::size_t, N> buffer_of{};    // the buffer of each value (unplanned for size 0)
    std::array<std::size_t, N> buffer_size{};  // floats a row of buffer b < buffer_count
    std::size_t buffer_count = 0;

    constexpr std::size_t floats_per_row() const {
        std::size_t total = 0;
        for (std::size_t b = 0; b < buffer_count; ++b) total += buffer_size[b];
        return total;
    }
    // Where buffer b starts, and (b == buffer_count) the floats of all, for
    // rows rows, each buffer on a cache line.
    constexpr std::size_t offset(std::size_t b, std::size_t rows) const {
        std::size_t at = 0;
        for (std::size_t i = 0; i < b; ++i) at += align_up(rows * buffer_size[i]);
        return at;
    }
    constexpr std::size_t floats(std::size_t rows) const { return offset(buffer_count, rows); }
};

// In order of first use, a value takes the free buffer nearest above its
// size, else the largest free one (grown to fit), else a new one. Times run
// from 0 to at most N + 1, so the order is a counting sort: this runs in the
// compiler for every model, and a model has hundreds of values.
template <std::size_t N>
constexpr BufferPlan<N> plan_buffers(const std::array<Lifetime, N>& values) {
    BufferPlan<N> plan;
    std::array<std::size_t, N + 3> starts{};  // starts[t + 1]: values first used at t; then prefix sums
    for (const Lifetime& value : values)
        if (value.size > 0) ++starts[value.first + 1];
    for (std::size_t t = 1; t < N + 3; ++t) starts[t] += starts[t - 1];
    std::array<std::size_t, N> order{};
    for (std::size_t v = 0; v < N; ++v)
        if (values[v].size > 0) order[starts[values[v].first]++] = v;
    const std::size_t planned = starts[N + 1];

    std::array<std::size_t, N> busy_until{};
    for (std::size_t v = 0; v < N; ++v) plan.buffer_of[v] = BufferPlan<N>::unplanned;
    for (std::size_t k = 0; k < planned; ++k) {
        const std::size_t next = order[k];
        const Lifetime& value = values[next];
        std::size_t fitting = N, largest = N;
        for (std::size_t b = 0; b < plan.buffer_count; ++b) {
            if (busy_until[b] >= value.first) continue;
            if (plan.buffer_size[b] >= value.size && (fitting == N || plan.buffer_size[b] < plan.buffer_size[fitting]))
                fitting = b;
            if (largest == N || plan.buffer_size[b] > plan.buffer_size[largest]) largest = b;
        }
        const std::size_t b = fitting != N ? fitting : largest != N ? largest : plan.buffer_count++;
        if (plan.buffer_size[b] < value.size) plan.buffer_size[b] = value.size;
        busy_until[b] = value.last;
        plan.buffer_of[next] = b;
    }
    return plan;
}

}  // namespace typenet
