#pragma once
// A layer of a user's own, as a user would write it, with nothing in the
// library changed for it: y = x * factor[c] over the last axis, one trained
// factor per channel. PyTorch: a module with a parameter `weight` of shape
// (channels,). Its setting, the factors' first value, is a real number written
// as the library's own settings are (Scale<"0.5">) and goes into the
// architecture words, so models that differ in it have different model-file
// keys. Mistake makes its backward wrong on purpose (or its forward write
// more scratch than it declares), for the tests of test_layer itself.
#include <algorithm>
#include <array>
#include <cstddef>

#include "typenet/typenet.hpp"

namespace typenet::testing {

enum class Mistake { none, doubled_factor_gradient, adds_to_input_gradient, overruns_forward_scratch };

template <Decimal Initial = "1", Mistake mistake = Mistake::none>
struct Scale {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };
    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Scale";
        static constexpr std::size_t channels = In::dims[In::rank - 1];
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = channels;
        static constexpr std::size_t scratch_floats = mistake == Mistake::overruns_forward_scratch ? channels : 0;
        static constexpr std::size_t forward_scratch_floats = 0;
        static constexpr bool is_view = false;
        static constexpr std::array<TensorInfo, 1> tensors{{{"factor", 0, 1, {channels, 0, 0, 0}, "weight"}}};
        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append("initial(");
            append_decimal(text, Initial);
            text.append(")");
        }
        static void initialize(float* params, Random&) {
            std::fill_n(params, channels, Initial.value_as_float());
        }
        template <class Arch>
        static void forward(const float* params, const float* x, float* y, std::size_t rows, float* scratch) {
            if constexpr (mistake == Mistake::overruns_forward_scratch) std::fill_n(scratch, channels, 0.0f);
            for (std::size_t i = 0; i < rows * In::size; ++i) y[i] = x[i] * params[i % channels];
        }
        template <class Arch>
        static void backward(const float* params, const float* x, const float*, float* dy, float* dx,
                             float* grad_params, std::size_t rows, float*) {
            std::fill_n(grad_params, channels, 0.0f);
            for (std::size_t i = 0; i < rows * In::size; ++i) grad_params[i % channels] += dy[i] * x[i];
            if constexpr (mistake == Mistake::doubled_factor_gradient) grad_params[1] *= 2.0f;
            if (!dx) return;
            for (std::size_t i = 0; i < rows * In::size; ++i) {
                if constexpr (mistake == Mistake::adds_to_input_gradient) dx[i] += dy[i] * params[i % channels];
                else dx[i] = dy[i] * params[i % channels];
            }
        }
    };
};

}  // namespace typenet::testing
