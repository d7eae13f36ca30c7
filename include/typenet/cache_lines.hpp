#pragma once
// Taking cache lines another core has read before writing them slowly.
//
// A core may write a line only once every other core's copy is invalidated,
// and a store waits for that when it reaches the head of the store queue. A
// loop bound by arithmetic, such as Adam's update (a square root and a
// division a vector), stores a line every few dozen cycles, so its stores meet
// the invalidations one at a time: on this project's Zen 4 VM, updating a
// thread's half of the dense autoencoder's weights (3,160 lines) took 96 µs
// after the other thread had read them in its forward pass, against 15 µs when
// it had not. A loop that does nothing but store one byte of each line, its
// own value, keeps many invalidations in flight: 13 µs, and the update after
// it runs at its own speed.
#include <cstddef>
#include <span>

#include "typenet/instruction_set.hpp"
#include "typenet/memory.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Makes the calling core the owner of every cache line of floats, changing no
// bit; no other thread may touch them meanwhile.
inline void claim_cache_lines(std::span<float> floats) {
    // Through bytes, which may alias anything; volatile, so the stores are made.
    volatile unsigned char* const bytes = reinterpret_cast<unsigned char*>(floats.data());
    const std::size_t size = floats.size_bytes();
    for (std::size_t i = 0; i < size; i += alignment_bytes) bytes[i] = bytes[i];
    if (size > 0) bytes[size - 1] = bytes[size - 1];  // the last line, when floats starts mid-line
}

}  // namespace typenet
