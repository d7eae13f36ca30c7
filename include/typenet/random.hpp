#pragma once
// Our own generator and distributions: the standard library's distributions
// differ between implementations, and a seed must give the same model everywhere.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// What a stream of random numbers is for. One user seed feeds several
// independent streams, so that, say, the shuffle does not replay the numbers
// the weights were drawn from.
enum class Stream : std::uint64_t { weights = 0, shuffle = 1, noise = 2, split = 3, test = 4, dropout = 5,
                                   sampling = 6 };

// xoshiro256** seeded through splitmix64 (Blackman & Vigna).
class Random {
public:
    // index numbers the streams of one purpose, e.g. one shuffle per epoch, so
    // that epoch e's order depends on (seed, e) alone and training can resume there.
    explicit Random(std::uint64_t seed = 0, Stream stream = Stream::weights, std::uint64_t index = 0) {
        seed ^= static_cast<std::uint64_t>(stream) * 0xd1b54a32d192ed03ULL;
        seed ^= index * 0x8cb92ba72f3d8dd7ULL;
        for (auto& word : state_) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
    }

    // A stream keyed by several numbers, as training's randomness is by (step, layer, row).
    Random(std::uint64_t seed, Stream stream, std::uint64_t index, std::uint64_t sub_index, std::uint64_t sub_sub_index)
        : Random(seed, stream, mix(mix(mix(index) ^ sub_index) ^ sub_sub_index)) {}

    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, 1) with 24 random bits: every value is exact in float.
    float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
    // Fused, always: a compiler may fuse low + (high - low) * u where the
    // target has FMA and not elsewhere, and a seed must give the same weights
    // in every build.
    float uniform(float low, float high) { return std::fma(high - low, uniform(), low); }

    // Uniform integer in [0, bound) without modulo bias (Lemire's method).
    std::uint64_t below(std::uint64_t bound) {
        Product product = multiply(next(), bound);
        if (product.low < bound) {
            const std::uint64_t threshold = -bound % bound;
            while (product.low < threshold) product = multiply(next(), bound);
        }
        return product.high;
    }

    // Standard normal (Box-Muller in double, so the tails are right).
    float normal() {
        const double u1 = (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = static_cast<double>(next() >> 11) * 0x1.0p-53;
        return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
    }

    template <class T>
    void shuffle(std::span<T> items) {
        for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
    }

    const auto& state() const { return state_; }

private:
    // The 128-bit product of two 64-bit numbers, from 32-bit halves: exact,
    // and portable to 32-bit targets, which have no unsigned __int128.
    struct Product {
        std::uint64_t high, low;
    };
    static Product multiply(std::uint64_t a, std::uint64_t b) {
        const std::uint64_t a_low = a & 0xffffffffu, a_high = a >> 32, b_low = b & 0xffffffffu, b_high = b >> 32;
        const std::uint64_t low_low = a_low * b_low, high_low = a_high * b_low, low_high = a_low * b_high;
        const std::uint64_t middle = (low_low >> 32) + (high_low & 0xffffffffu) + (low_high & 0xffffffffu);
        return {a_high * b_high + (high_low >> 32) + (low_high >> 32) + (middle >> 32),
                (middle << 32) | (low_low & 0xffffffffu)};
    }

    // splitmix64's finalizer: every bit of x moves every bit of the result.
    static std::uint64_t mix(std::uint64_t x) {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4];
};

}  // namespace typenet
