#pragma once
// summary<M>(): Keras's model.summary() for a typenet model, one row a layer
// (its index, kind and settings, output shape and parameter count), the
// totals, and the memory the model needs, every figure known at compile time:
//
//   Layer                                     Output shape            Param #
//   =========================================================================
//   0 Flatten                                 (784)                         0
//   1 Dense relu                              (64)                     50,240
//   ...
//   =========================================================================
//   Total params: 101,200 (395.3 KiB)
//   Trainable params: 101,200
//   Non-trainable params: 0
//   Inference, 1 row: 6.5 KiB of activations and scratch (InferenceWorkspace<M, 1>::bytes)
//   Training, 32 rows: 310.0 KiB of activations, gradients and scratch a thread (Workspace<M, 32>::bytes)
//
// The same figures are constants for an app's static_assert:
// M::parameter_bytes, InferenceWorkspace<M, C>::bytes, InlineWorkspace<M, C>::bytes,
// Workspace<M, C>::bytes, and a Trainer's bytes_per_thread and optimizer_state_bytes.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/model.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

// A layer's settings (describe_settings) written at run time.
struct SettingsText {
    std::string text;
    void append(std::string_view more) { text += more; }
};

template <class S>
std::string shape_text() {
    std::string text = "(";
    for (std::size_t d = 0; d < S::rank; ++d) text += fmt::format("{}{}", d ? "," : "", S::dims[d]);
    return text + ")";
}

// 101200 -> "101,200", as Keras writes its counts.
inline std::string with_thousands(std::size_t number) {
    const std::string digits = std::to_string(number);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) text += ',';
        text += digits[i];
    }
    return text;
}

inline std::string kibibytes(std::size_t bytes) { return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0); }

template <class M, std::size_t I>
std::string layer_row() {
    using B = typename M::graph::template bound<I>;
    SettingsText name{fmt::format("{} {}", I, B::kind)};
    if constexpr (requires { B::describe_settings(name); }) {
        name.append(" ");
        B::describe_settings(name);
    }
    return fmt::format("{:<42}{:<18}{:>13}\n", name.text, shape_text<typename B::output_shape>(),
                       with_thousands(B::parameter_count));
}

}  // namespace detail

// The rows and totals above; the memory for inference of InferenceRows rows
// and training with TrainingRows rows a step.
template <class M, std::size_t InferenceRows = 1, std::size_t TrainingRows = 32>
std::string summary() {
    const std::string rule(73, '=');
    std::string text = fmt::format("{:<42}{:<18}{:>13}\n{}\n", "Layer", "Output shape", "Param #", rule);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((text += detail::layer_row<M, I>()), ...);
    }(std::make_index_sequence<M::layer_count>{});
    text += rule + "\n";
    // Keras's total counts parameters; the bytes are the model's block, in
    // which each layer's parameters start on a cache line.
    text += fmt::format("Total params: {} ({})\n",
                        detail::with_thousands(M::trainable_parameter_count + M::non_trainable_parameter_count),
                        detail::kibibytes(M::parameter_bytes));
    text += fmt::format("Trainable params: {}\n", detail::with_thousands(M::trainable_parameter_count));
    text += fmt::format("Non-trainable params: {}\n", detail::with_thousands(M::non_trainable_parameter_count));
    text += fmt::format("Inference, {} row{}: {} of activations and scratch (InferenceWorkspace<M, {}>::bytes)\n",
                        InferenceRows, InferenceRows == 1 ? "" : "s",
                        detail::kibibytes(InferenceWorkspace<M, InferenceRows>::bytes), InferenceRows);
    text += fmt::format("Training, {} rows: {} of activations, gradients and scratch a thread (Workspace<M, {}>::bytes)\n",
                        TrainingRows, detail::kibibytes(Workspace<M, TrainingRows>::bytes), TrainingRows);
    return text;
}

}  // namespace typenet
