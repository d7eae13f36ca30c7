#pragma once
// typenet's build without SIMD instructions (TYPENET_NO_SIMD): for processors
// xsimd does not know, where xsimd 8.1 defines no batch type at all. It is a
// "batch" of one float with the operations typenet's kernels use, under the
// names xsimd gives them (simd.hpp makes typenet::simd this namespace or
// xsimd), so every kernel compiles unchanged into plain float arithmetic.
// The results agree with the vector builds' within float tolerance (sums run
// in another order); tools/run-tests.sh builds and tests it.
#include <cmath>
#include <concepts>
#include <cstddef>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::simd {

// The instruction set: the processor's plain float arithmetic.
struct scalar {
    static constexpr const char* name() { return "scalar"; }
};
using default_arch = scalar;

template <class T, class Arch = default_arch>
class batch_bool;
template <class T, class Arch = default_arch>
class batch;

template <>
class batch_bool<float, scalar> {
public:
    batch_bool(bool value) : value_(value) {}
    bool get(std::size_t) const { return value_; }

    friend batch_bool operator&(batch_bool a, batch_bool b) { return a.value_ && b.value_; }
    friend batch_bool operator!(batch_bool a) { return !a.value_; }

private:
    bool value_;
};

template <>
class batch<float, scalar> {
public:
    using value_type = float;
    using arch_type = scalar;
    static constexpr std::size_t size = 1;

    batch() = default;
    batch(float value) : value_(value) {}

    static batch load_unaligned(const float* p) { return *p; }
    void store_unaligned(float* p) const { *p = value_; }
    void store_aligned(float* p) const { *p = value_; }
    float get(std::size_t) const { return value_; }

    batch& operator+=(batch b) { return *this = *this + b; }
    batch& operator-=(batch b) { return *this = *this - b; }
    batch& operator*=(batch b) { return *this = *this * b; }
    batch& operator/=(batch b) { return *this = *this / b; }

    friend batch operator+(batch a, batch b) { return a.value_ + b.value_; }
    friend batch operator-(batch a, batch b) { return a.value_ - b.value_; }
    friend batch operator*(batch a, batch b) { return a.value_ * b.value_; }
    friend batch operator/(batch a, batch b) { return a.value_ / b.value_; }
    friend batch operator-(batch a) { return -a.value_; }

    friend batch_bool<float, scalar> operator<(batch a, batch b) { return a.value_ < b.value_; }
    friend batch_bool<float, scalar> operator<=(batch a, batch b) { return a.value_ <= b.value_; }
    friend batch_bool<float, scalar> operator>(batch a, batch b) { return a.value_ > b.value_; }
    friend batch_bool<float, scalar> operator>=(batch a, batch b) { return a.value_ >= b.value_; }
    friend batch_bool<float, scalar> operator==(batch a, batch b) { return a.value_ == b.value_; }
    friend batch_bool<float, scalar> operator!=(batch a, batch b) { return a.value_ != b.value_; }

private:
    float value_ = 0.0f;
};

// The functions are declared here, not as friends, so that simd::fma(...)
// finds them by name; like xsimd's, they take plain floats too (the kernels'
// tails call them so).
using one_float = batch<float, scalar>;
using one_bool = batch_bool<float, scalar>;

template <class T>
concept one_lane = std::same_as<T, float> || std::same_as<T, one_float>;

inline float value_of(float x) { return x; }
inline float value_of(one_float x) { return x.get(0); }
inline bool value_of(bool c) { return c; }
inline bool value_of(one_bool c) { return c.get(0); }

inline bool all(one_bool a) { return a.get(0); }
// Fused where the processor fuses (FP_FAST_FMAF), as xsimd does: a
// software fmaf would make every product a library call.
template <one_lane T>
T fma(T x, T y, T z) {
#if defined(FP_FAST_FMAF)
    return std::fma(value_of(x), value_of(y), value_of(z));
#else
    return value_of(x) * value_of(y) + value_of(z);
#endif
}
template <one_lane T>
T fnma(T x, T y, T z) { return fma(T(-value_of(x)), y, z); }
// As SSE's maxps and minps: the second operand when either is NaN.
template <one_lane T>
T max(T a, T b) { return value_of(a) > value_of(b) ? a : b; }
template <one_lane T>
T min(T a, T b) { return value_of(a) < value_of(b) ? a : b; }
template <one_lane T, class Condition>
T select(Condition c, T a, T b) { return value_of(c) ? a : b; }
template <one_lane T>
T abs(T a) { return std::fabs(value_of(a)); }
template <one_lane T>
T sqrt(T a) { return std::sqrt(value_of(a)); }
template <one_lane T>
T exp(T a) { return std::exp(value_of(a)); }
template <one_lane T>
T expm1(T a) { return std::expm1(value_of(a)); }
template <one_lane T>
T log(T a) { return std::log(value_of(a)); }
template <one_lane T>
T log1p(T a) { return std::log1p(value_of(a)); }
template <one_lane T>
T tanh(T a) { return std::tanh(value_of(a)); }
inline float hadd(one_float a) { return a.get(0); }
// Lane k of the result is the sum of rows[k]'s lanes: one row of one lane.
inline one_float haddp(const one_float* rows) { return rows[0]; }

}  // namespace typenet::simd
