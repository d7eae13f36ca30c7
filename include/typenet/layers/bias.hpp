#pragma once
// Whether Dense, Conv2D and Conv2DTranspose add a bias (Keras's use_bias):
// Bias, the default, or NoBias, as models have it before a normalization,
// whose own shift makes a bias redundant. Without one, a layer has its kernel
// tensor alone (as PyTorch's modules with bias=False), adds nothing before
// its activation and has no bias gradient to write.
#include <array>
#include <concepts>
#include <cstddef>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct Bias {};
struct NoBias {};

template <class B>
concept BiasChoice = std::same_as<B, Bias> || std::same_as<B, NoBias>;

namespace detail {

template <BiasChoice B>
inline constexpr bool has_bias = std::same_as<B, Bias>;

// The layer's tensors: its kernel, then its bias of one value per unit (filter) if it has one.
template <BiasChoice B>
constexpr auto kernel_and_bias(const TensorInfo& kernel, std::size_t units) {
    if constexpr (has_bias<B>)
        return std::array<TensorInfo, 2>{{kernel, {"bias", kernel.size(), 1, {units, 0, 0, 0}, "bias"}}};
    else
        return std::array<TensorInfo, 1>{{kernel}};
}

// y = f(y + bias) over rows of units, or y = f(y) without a bias.
template <class Arch, class Act, BiasChoice B>
void add_bias_and_activate(float* y, const float* bias, std::size_t rows, std::size_t units) {
    if constexpr (has_bias<B>) kernels::add_bias_activate<Arch, Act>(y, bias, rows, units);
    else kernels::activate<Arch, Act>(y, y, rows * units);
}

// The bias gradient, the sum of dz over the rows; nothing without a bias.
template <class Arch, BiasChoice B>
void write_bias_gradient(const float* dz, std::size_t rows, std::size_t units, float* grad_bias) {
    if constexpr (has_bias<B>) kernels::column_sums<Arch>(dz, rows, units, grad_bias);
}

// The parameters of the same layer with a bias, with a per-unit affine after
// it taken in: y scale + shift = x (W scale) + (b scale + shift). The kernel's
// last axis is the units (Dense's (in, units), Conv2D's (kh, kw, in, filters)).
template <BiasChoice B>
void fold_channel_affine(const float* params, std::size_t kernel_size, std::size_t units, const float* scale,
                         const float* shift, float* folded) {
    for (std::size_t i = 0; i < kernel_size; ++i) folded[i] = params[i] * scale[i % units];
    for (std::size_t u = 0; u < units; ++u)
        folded[kernel_size + u] = (has_bias<B> ? params[kernel_size + u] : 0.0f) * scale[u] + shift[u];
}

}  // namespace detail

}  // namespace typenet
