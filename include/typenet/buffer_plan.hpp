#pragma once
// Values planned from lifetimes, at compile time, in one arena: each value
// takes a range of it that no value alive at the same time touches. A value
// lives from the time it is written to the last time it is read, both
// included, so a layer's output never shares memory with an input it reads at
// that time. The placement is TensorFlow Lite's greedy one (its arena
// planner): the largest values first, each into the tightest gap left between
// the values alive beside it, else above them.
#include <algorithm>
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

// Offsets are in floats a row and each value takes whole cache lines a row,
// so that for any number of rows every offset is the row's times the rows and
// every value starts on a cache line.
template <std::size_t N>
struct BufferPlan {
    static constexpr std::size_t unplanned = static_cast<std::size_t>(-1);
    std::array<std::size_t, N> offset_of{};  // where each value starts, floats a row (unplanned for size 0)
    std::size_t arena_floats_per_row = 0;

    constexpr std::size_t floats_per_row() const { return arena_floats_per_row; }
    // Where value v starts for rows rows, and the floats of the whole arena.
    constexpr std::size_t offset(std::size_t v, std::size_t rows) const { return offset_of[v] * rows; }
    constexpr std::size_t floats(std::size_t rows) const { return arena_floats_per_row * rows; }
};

// Each value looks only at those placed before it, kept in order of offset:
// a model's hundreds of values take tens of thousands of steps in the compiler.
template <std::size_t N>
constexpr BufferPlan<N> plan_buffers(const std::array<Lifetime, N>& values) {
    BufferPlan<N> plan;
    std::array<std::size_t, N> order{};
    std::size_t planned = 0;
    for (std::size_t v = 0; v < N; ++v) {
        plan.offset_of[v] = BufferPlan<N>::unplanned;
        if (values[v].size > 0) order[planned++] = v;
    }
    std::sort(order.begin(), order.begin() + planned, [&](std::size_t a, std::size_t b) {
        if (values[a].size != values[b].size) return values[a].size > values[b].size;
        if (values[a].first != values[b].first) return values[a].first < values[b].first;
        return a < b;
    });

    std::array<std::size_t, N> by_offset{};  // the values placed so far, lowest offset first
    for (std::size_t k = 0; k < planned; ++k) {
        const std::size_t next = order[k];
        const Lifetime& value = values[next];
        const std::size_t size = align_up(value.size);
        std::size_t free_from = 0, best = BufferPlan<N>::unplanned, best_gap = 0;
        for (std::size_t j = 0; j < k; ++j) {
            const std::size_t other = by_offset[j];
            if (values[other].last < value.first || value.last < values[other].first) continue;
            const std::size_t at = plan.offset_of[other];
            if (at >= free_from + size && (best == BufferPlan<N>::unplanned || at - free_from < best_gap)) {
                best = free_from;
                best_gap = at - free_from;
            }
            free_from = std::max(free_from, at + align_up(values[other].size));
        }
        const std::size_t at = best != BufferPlan<N>::unplanned ? best : free_from;
        plan.offset_of[next] = at;
        plan.arena_floats_per_row = std::max(plan.arena_floats_per_row, at + size);
        std::size_t j = k;
        for (; j > 0 && plan.offset_of[by_offset[j - 1]] > at; --j) by_offset[j] = by_offset[j - 1];
        by_offset[j] = next;
    }
    return plan;
}

}  // namespace typenet
