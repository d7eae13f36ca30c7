#pragma once
// What a layer is. A layer type (Dense<64, ReLU>) is a description; bound to
// the shape of its input (Dense<64, ReLU>::Bound<Shape<784>>) it knows its
// output shape, its parameters and how to run forward and backward.
//
// The contract of a bound layer B, for an input of rows x input_shape::size floats:
//   B::output_shape               the shape of one output row
//   B::parameter_count            floats of parameters (weights, biases), laid out as B::tensors says
//   B::is_view                    true when the output is the input seen with another shape
//                                 (Flatten, Reshape): no work, the buffers are shared
//   B::initialize(params, random) fills fresh parameters (Glorot-uniform weights, zero biases)
//   B::scratch_floats             floats of temporary memory forward and backward may use
//                                 (one sample's im2col windows); the workspace provides it
//   B::forward<Arch>(params, x, y, rows, scratch)
//   B::backward<Arch>(params, x, y, dy, dx, grad_params, rows, scratch)
//       dy arrives holding dLoss/dy and may be overwritten; grad_params is written
//       (not accumulated); dx is written unless it is null (no one needs it).
// Each layer type also has input_check<layer_index<I>, Shape>, whose ::value says
// whether it accepts that input; when it does not, instantiating it fails with a
// message the user can act on, and the compiler's note names the layer's index,
// its type and the shape it was given.
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/random.hpp"
#include "typenet/shape.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Appears in compiler notes as typenet::layer_index<3>: the position in the model's layer list.
template <std::size_t Index>
struct layer_index {
    static constexpr std::size_t value = Index;
};

// A named tensor inside a layer's parameters, with its shape as Keras stores it.
struct TensorInfo {
    std::string_view name;
    std::size_t offset;  // in floats, from the layer's first parameter
    std::size_t rank;
    std::array<std::size_t, 4> dims;
    constexpr std::size_t size() const {
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
};

template <class B>
concept BoundLayer = requires(const float* cp, float* p, std::size_t rows, Random& random) {
    requires is_shape<typename B::input_shape>;
    requires is_shape<typename B::output_shape>;
    { B::parameter_count } -> std::convertible_to<std::size_t>;
    { B::is_view } -> std::convertible_to<bool>;
    { B::scratch_floats } -> std::convertible_to<std::size_t>;
    { B::kind } -> std::convertible_to<std::string_view>;
    B::tensors;
    B::initialize(p, random);
    B::template forward<xsimd::default_arch>(cp, cp, p, rows, p);
    B::template backward<xsimd::default_arch>(cp, cp, cp, p, p, p, rows, p);
};

// Glorot (Xavier) uniform, Keras's default kernel initializer.
inline void glorot_uniform(float* weights, std::size_t count, std::size_t fan_in, std::size_t fan_out,
                           Random& random) {
    const float limit = std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
    for (std::size_t i = 0; i < count; ++i) weights[i] = random.uniform(-limit, limit);
}

}  // namespace typenet
