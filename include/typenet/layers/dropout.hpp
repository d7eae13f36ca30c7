#pragma once
// Dropout<Rate>: Keras's inverted dropout. In training each input is zeroed
// with probability Rate and the others are scaled by 1 / (1 - Rate), so that
// inference, which passes the input through unchanged, sees the same expected
// value; the inference form of a model (inference_form.hpp) drops the layer.
//
// The mask of a row is drawn from its own stream, keyed by the seed, the
// step, the layer and the row's place in the whole batch (TrainingPass), and
// drawn again in backward rather than kept: no memory between the passes, and
// the same mask whichever thread runs the row.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/compile_time_text.hpp"
#include "typenet/decimal.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/random.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <Decimal Rate>
struct Dropout {
    static_assert(Rate.significand >= 0 && Rate.value() < 1.0,
                  "typenet: Dropout's rate is the fraction of inputs dropped, from 0 up to (not including) 1");
    static constexpr float rate = Rate.value_as_float();
    // What the inference form does with this layer: leaves it out.
    static constexpr bool dropped_in_inference = true;

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Dropout";
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};
        static constexpr float scale = 1.0f / (1.0f - rate);

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append("rate ");
            append_decimal(text, Rate);
        }

        static void initialize(float*, Random&) {}

        // Inference: the input as it is.
        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            std::copy_n(x, rows * In::size, y);
        }
        template <class Arch>
        static void backward(const float*, const float*, const float*, float* dy, float* dx, float*,
                             std::size_t rows, float*) {
            if (dx) std::copy_n(dy, rows * In::size, dx);
        }

        template <class Arch>
        static void train_forward(const float*, const float* x, float* y, std::size_t rows, float*,
                                  const TrainingPass& pass) {
            apply_mask(x, y, rows, pass);
        }
        // The mask's derivative is the mask itself.
        template <class Arch>
        static void train_backward(const float*, const float*, const float*, float* dy, float* dx, float*,
                                   std::size_t rows, float*, const TrainingPass& pass) {
            if (dx) apply_mask(dy, dx, rows, pass);
        }

    private:
        // to = from scaled where the row's mask keeps it, 0 where it drops it.
        static void apply_mask(const float* from, float* to, std::size_t rows, const TrainingPass& pass) {
            for (std::size_t r = 0; r < rows; ++r) {
                Random mask(pass.seed, Stream::dropout, static_cast<std::uint64_t>(pass.step), pass.layer,
                            pass.first_row + r);
                const float* in = from + r * In::size;
                float* out = to + r * In::size;
                for (std::size_t i = 0; i < In::size; ++i) out[i] = mask.uniform() < rate ? 0.0f : in[i] * scale;
            }
        }
    };
};

}  // namespace typenet
