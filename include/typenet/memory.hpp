#pragma once
// One aligned heap block per kind of memory, allocated once and never resized,
// so that training steps and inference calls never touch the allocator.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Every tensor starts on a cache line, which is also the widest vector (AVX-512).
inline constexpr std::size_t alignment_bytes = 64;
inline constexpr std::size_t alignment_floats = alignment_bytes / sizeof(float);

constexpr std::size_t align_up(std::size_t floats) {
    return (floats + alignment_floats - 1) / alignment_floats * alignment_floats;
}

// The bytes an AlignedFloats of that many floats holds.
constexpr std::size_t aligned_bytes(std::size_t floats) { return align_up(floats) * sizeof(float); }

// Built without exceptions (an embedded app's -fno-exceptions), there is no
// bad_alloc to throw: the program stops, as new does there.
[[noreturn]] inline void out_of_memory() {
#if defined(__cpp_exceptions)
    throw std::bad_alloc();
#else
    std::abort();
#endif
}

class AlignedFloats {
public:
    AlignedFloats() = default;
    explicit AlignedFloats(std::size_t count) : size_(count) {
        if (count == 0) return;
        void* block = std::aligned_alloc(alignment_bytes, align_up(count) * sizeof(float));
        if (!block) out_of_memory();
        data_.reset(static_cast<float*>(block));
        std::memset(block, 0, align_up(count) * sizeof(float));
    }
    AlignedFloats(const AlignedFloats& other) : AlignedFloats(other.size_) {
        if (size_) std::memcpy(data(), other.data(), size_ * sizeof(float));
    }
    AlignedFloats& operator=(const AlignedFloats& other) {
        if (this != &other) *this = AlignedFloats(other);
        return *this;
    }
    AlignedFloats(AlignedFloats&&) noexcept = default;
    AlignedFloats& operator=(AlignedFloats&&) noexcept = default;

    float* data() { return data_.get(); }
    const float* data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    std::span<float> span() { return {data(), size_}; }
    std::span<const float> span() const { return {data(), size_}; }
    float& operator[](std::size_t i) { return data_[i]; }
    float operator[](std::size_t i) const { return data_[i]; }

private:
    struct Free {
        void operator()(float* p) const { std::free(p); }
    };
    std::unique_ptr<float[], Free> data_;
    std::size_t size_ = 0;
};

}  // namespace typenet
