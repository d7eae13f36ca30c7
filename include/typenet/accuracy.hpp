#pragma once
// Accuracy as Keras's "accuracy" metric resolves it for each loss: how many of
// a batch's predictions are right. A loss that has one names it as its
// `accuracy`; fit and evaluate then report it beside the loss.
//   SparseCategoricalAccuracy  the largest score's class is the label
//   CategoricalAccuracy        the largest score's class is the target's largest
//   BinaryAccuracy             each element: (y > threshold) equals the target,
//                              the threshold 0.5 for probabilities and 0 for logits
// Ties go to the first class, as tf.argmax does. Each counts what its
// `judged` (reduction.hpp) says a prediction is, so that accuracy =
// correct / (rows * judged::per_row<Out>).
#include <cstddef>
#include <cstdint>

#include "typenet/instruction_set.hpp"
#include "typenet/reduction.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

inline std::size_t index_of_largest(const float* x, std::size_t n) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < n; ++k)
        if (x[k] > x[best]) best = k;
    return best;
}

}  // namespace detail

// What the scores a metric judges are: the loss read logits, or probabilities.
enum class Scores { probabilities, logits };

struct SparseCategoricalAccuracy {
    using judged = EachClassVector;
    template <class Out>
    static std::size_t correct(const float* y, const std::int32_t* labels, std::size_t rows, Scores) {
        static_assert(Out::rank == 1, "typenet: class indices need a flat output, one score a class");
        std::size_t right = 0;
        for (std::size_t r = 0; r < rows; ++r)
            right += detail::index_of_largest(y + r * Out::size, Out::size) == static_cast<std::size_t>(labels[r]);
        return right;
    }
};

struct CategoricalAccuracy {
    using judged = EachClassVector;
    template <class Out>
    static std::size_t correct(const float* y, const float* t, std::size_t rows, Scores) {
        constexpr std::size_t classes = Out::dims[Out::rank - 1];
        const std::size_t vectors = rows * judged::per_row<Out>;
        std::size_t right = 0;
        for (std::size_t v = 0; v < vectors; ++v)
            right += detail::index_of_largest(y + v * classes, classes) ==
                     detail::index_of_largest(t + v * classes, classes);
        return right;
    }
};

struct BinaryAccuracy {
    using judged = EachElement;
    template <class Out>
    static std::size_t correct(const float* y, const float* t, std::size_t rows, Scores scores) {
        const float threshold = scores == Scores::logits ? 0.0f : 0.5f;
        std::size_t right = 0;
        for (std::size_t i = 0; i < rows * Out::size; ++i) right += (y[i] > threshold ? 1.0f : 0.0f) == t[i];
        return right;
    }
};

}  // namespace typenet
