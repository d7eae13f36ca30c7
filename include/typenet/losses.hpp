#pragma once
// Losses as Keras defines and reports them. A loss declares what it is trained
// towards (its target, targets.hpp) and how a batch's terms become one number
// (its reduction, reduction.hpp); the trainer, fit and evaluate only ask it.
//
//   MeanSquaredError, MeanAbsoluteError   (MSE, MAE) targets of the output's
//       shape; the mean over every element
//   BinaryCrossentropy<>                  targets of the output's shape (0 or 1,
//       or any value between); the mean over every element
//   CategoricalCrossentropy<>             one-hot targets of the output's shape;
//       each class vector's terms summed, the mean over the class vectors (rows)
//   SparseCategoricalCrossentropy<>       one class index a row, for a flat
//       output of one score a class; the mean over the rows
//   SumPerRow<L>                          loss L with each row's terms summed,
//       then the mean over the rows: SumPerRow<BinaryCrossentropy<>> is minus
//       the log-likelihood of a binary image, summed over its pixels (a VAE's
//       reconstruction term, in nats an image)
//
// The crossentropies take probabilities unless written <FromLogits>, as
// Keras's from_logits=False. Where the model's last layer makes those
// probabilities (a Softmax layer for the categorical ones, a sigmoid
// activation for the binary one), training reads the logits before it instead,
// as tf.keras does: see loss_input.hpp.
#include <concepts>
#include <cstddef>
#include <string_view>

#include "typenet/accuracy.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/losses.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/reduction.hpp"
#include "typenet/shape.hpp"
#include "typenet/targets.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// What the trainer and fit need of a loss, one requirement at a time (the
// compiler names the first one a loss breaks):
//   L::name        in the progress line ("mse", "sparse_categorical_crossentropy")
//   L::target      OutputShaped or ClassIndex
//   L::reduction   with mean<Out>(sum, rows) and gradient_scale<Out>(rows)
//   L::sum<Arch, Out>(y, target, rows, scale, gradient)
//       returns the sum of the loss's terms over rows rows of outputs y (of
//       shape Out) and targets (target::per_row<Out> target::element a row) and,
//       when gradient is given, writes scale times each term's derivative by
//       y into it; with scale = reduction::gradient_scale<Out>(batch rows),
//       the gradient of the batch's mean, even when a thread sees only its
//       share of the batch. Without scale and gradient, only the sum.
// Optional:
//   L::accuracy    how a prediction is judged right (accuracy.hpp): fit and
//                  evaluate then report accuracy and val_accuracy
//   L::input, L::squash, L::with_logits   (the crossentropies) whether it
//                  takes logits or probabilities, the function that makes
//                  those probabilities, and the same loss from logits
template <class L>
concept LossHasName = requires {
    { L::name } -> std::convertible_to<std::string_view>;
};
template <class L>
concept LossHasTarget = requires { typename L::target; } && TargetKind<typename L::target>;
template <class L>
concept LossHasReduction = requires(double sum, std::size_t rows) {
    { L::reduction::template mean<Shape<4>>(sum, rows) } -> std::convertible_to<double>;
    { L::reduction::template gradient_scale<Shape<4>>(rows) } -> std::convertible_to<float>;
};
template <class L>
concept LossHasSum = requires(const float* y, const typename L::target::element* target, std::size_t rows, float scale,
                              float* gradient) {
    { L::template sum<kernels::native_arch, Shape<4>>(y, target, rows, scale, gradient) } -> std::convertible_to<double>;
    { L::template sum<kernels::native_arch, Shape<4>>(y, target, rows) } -> std::convertible_to<double>;
};
template <class L>
concept LossFunction = LossHasName<L> && LossHasTarget<L> && LossHasReduction<L> && LossHasSum<L>;

struct MeanSquaredError {
    static constexpr std::string_view name = "mse";
    using target = OutputShaped;
    using reduction = MeanOverElements;
    template <class Arch, class Out>
    static double sum(const float* y, const float* target, std::size_t rows, float scale = 0.0f,
                      float* gradient = nullptr) {
        return kernels::squared_error<Arch>(y, target, rows * Out::size, scale, gradient);
    }
};

struct MeanAbsoluteError {
    static constexpr std::string_view name = "mae";
    using target = OutputShaped;
    using reduction = MeanOverElements;
    template <class Arch, class Out>
    static double sum(const float* y, const float* target, std::size_t rows, float scale = 0.0f,
                      float* gradient = nullptr) {
        return kernels::absolute_error<Arch>(y, target, rows * Out::size, scale, gradient);
    }
};

using MSE = MeanSquaredError;
using MAE = MeanAbsoluteError;

// Keras's from_logits, as a type: CategoricalCrossentropy<FromLogits>.
struct FromLogits {};
struct FromProbabilities {};
template <class T>
concept CrossentropyInput = std::same_as<T, FromLogits> || std::same_as<T, FromProbabilities>;

// The function that turns a crossentropy's logits into its probabilities.
enum class Squash { sigmoid, softmax };

template <CrossentropyInput Input = FromProbabilities>
struct BinaryCrossentropy {
    static constexpr std::string_view name = "binary_crossentropy";
    using target = OutputShaped;
    using reduction = MeanOverElements;
    using accuracy = BinaryAccuracy;
    using input = Input;
    static constexpr Squash squash = Squash::sigmoid;
    using with_logits = BinaryCrossentropy<FromLogits>;
    template <class Arch, class Out>
    static double sum(const float* y, const float* target, std::size_t rows, float scale = 0.0f,
                      float* gradient = nullptr) {
        if constexpr (std::same_as<Input, FromLogits>)
            return kernels::binary_crossentropy_from_logits<Arch>(y, target, rows * Out::size, scale, gradient);
        else
            return kernels::binary_crossentropy<Arch>(y, target, rows * Out::size, scale, gradient);
    }
};

template <CrossentropyInput Input = FromProbabilities>
struct CategoricalCrossentropy {
    static constexpr std::string_view name = "categorical_crossentropy";
    using target = OutputShaped;
    using reduction = MeanOverClassVectors;
    using accuracy = CategoricalAccuracy;
    using input = Input;
    static constexpr Squash squash = Squash::softmax;
    using with_logits = CategoricalCrossentropy<FromLogits>;
    template <class Arch, class Out>
    static double sum(const float* y, const float* target, std::size_t rows, float scale = 0.0f,
                      float* gradient = nullptr) {
        constexpr std::size_t classes = Out::dims[Out::rank - 1];
        const std::size_t vectors = rows * EachClassVector::per_row<Out>;
        if constexpr (std::same_as<Input, FromLogits>)
            return kernels::categorical_crossentropy_from_logits<Arch>(y, target, vectors, classes, scale, gradient);
        else
            return kernels::categorical_crossentropy<Arch>(y, target, vectors, classes, scale, gradient);
    }
};

// The labels must name classes (0 .. Out::size - 1): the trainer, fit and
// evaluate check them before a loss sees them.
template <CrossentropyInput Input = FromProbabilities>
struct SparseCategoricalCrossentropy {
    static constexpr std::string_view name = "sparse_categorical_crossentropy";
    using target = ClassIndex;
    using reduction = MeanOverClassVectors;
    using accuracy = SparseCategoricalAccuracy;
    using input = Input;
    static constexpr Squash squash = Squash::softmax;
    using with_logits = SparseCategoricalCrossentropy<FromLogits>;
    template <class Arch, class Out>
    static double sum(const float* y, const std::int32_t* labels, std::size_t rows, float scale = 0.0f,
                      float* gradient = nullptr) {
        static_assert(Out::rank == 1, "typenet: SparseCategoricalCrossentropy takes one class index a row, for a flat "
                                      "output of one score a class; for targets of another shape use "
                                      "CategoricalCrossentropy with one-hot targets");
        if constexpr (std::same_as<Input, FromLogits>)
            return kernels::sparse_categorical_crossentropy_from_logits<Arch>(y, labels, rows, Out::size, scale,
                                                                              gradient);
        else
            return kernels::sparse_categorical_crossentropy<Arch>(y, labels, rows, Out::size, scale, gradient);
    }
};

static_assert(LossFunction<MSE> && LossFunction<MAE> && LossFunction<BinaryCrossentropy<>> &&
              LossFunction<CategoricalCrossentropy<FromLogits>> && LossFunction<SparseCategoricalCrossentropy<>>);

// Whether a loss is a crossentropy that says what it takes (input, squash, with_logits).
template <class L>
concept Crossentropy = requires {
    typename L::input;
    { L::squash } -> std::convertible_to<Squash>;
    typename L::with_logits;
} && CrossentropyInput<typename L::input>;

template <class L>
concept HasAccuracy = requires { typename L::accuracy; };

template <LossFunction L>
struct SumPerRow : L {
    using reduction = MeanOverRows;
};
template <LossFunction L>
    requires Crossentropy<L>
struct SumPerRow<L> : L {
    using reduction = MeanOverRows;
    using with_logits = SumPerRow<typename L::with_logits>;
};
static_assert(LossFunction<SumPerRow<BinaryCrossentropy<>>> && Crossentropy<SumPerRow<BinaryCrossentropy<>>>);

}  // namespace typenet
