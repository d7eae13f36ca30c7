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

// A value's floats a row, and when it is written and last read; a value that
// is not planned (a view of another, a gradient no one writes) has size 0.
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
// size, else the largest free one (grown to fit), else a new one.
template <std::size_t N>
constexpr BufferPlan<N> plan_buffers(const std::array<Lifetime, N>& values) {
    BufferPlan<N> plan;
    std::array<std::size_t, N> busy_until{};
    std::array<bool, N> done{};
    for (std::size_t v = 0; v < N; ++v) plan.buffer_of[v] = BufferPlan<N>::unplanned;
    for (std::size_t round = 0; round < N; ++round) {
        std::size_t next = N;
        for (std::size_t v = 0; v < N; ++v)
            if (!done[v] && values[v].size > 0 && (next == N || values[v].first < values[next].first)) next = v;
        if (next == N) break;
        done[next] = true;
        const Lifetime& value = values[next];
        std::size_t fitting = N, largest = N;
        for (std::size_t b = 0; b < plan.buffer_count; ++b) {
            if (busy_until[b] >= value.first) continue;
            if (plan.buffer_size[b] >= value.size && (fitting == N || plan.buffer_size[b] < plan.buffer_size[fitting]))
                fitting = b;
            if (largest == N || plan.buffer_size[b] > plan.buffer_size[largest]) largest = b;
        }
        std::size_t b = fitting != N ? fitting : largest != N ? largest : plan.buffer_count++;
        if (plan.buffer_size[b] < value.size) plan.buffer_size[b] = value.size;
        busy_until[b] = value.last;
        plan.buffer_of[next] = b;
    }
    return plan;
}

}  // namespace typenet
