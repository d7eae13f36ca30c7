#pragma once
// How a batch's terms become one number, as Keras reduces its losses and
// metrics: every reduction is a mean over the batch (Keras's
// SUM_OVER_BATCH_SIZE); they differ in what one term is.
//   EachElement      one term per element of the output: MSE, MAE and binary
//                    crossentropy (Keras takes the mean over the last axis,
//                    then over the rows: the same mean), binary accuracy
//   EachClassVector  one term per vector along the last axis (the classes),
//                    a crossentropy's summed over its classes: with flat
//                    outputs one per row; outputs (28, 10) have 28 a row
//   EachRow          one term per row, its elements' terms summed: a loss
//                    of an image summed over its pixels, as a VAE's
//                    log-likelihood of an image is (losses.hpp's SumPerRow)
#include <cstddef>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct EachElement {
    template <class Out>
    static constexpr std::size_t per_row = Out::size;
};

struct EachClassVector {
    template <class Out>
    static constexpr std::size_t per_row = Out::size / Out::dims[Out::rank - 1];
};

struct EachRow {
    template <class Out>
    static constexpr std::size_t per_row = 1;
};

// The mean over the terms of a batch of rows: the loss from the sum of its
// terms, and the factor that makes each term's derivative one of the mean's.
// The trainer scales every thread's share by the whole batch's factor, so the
// shares' gradients add up to the batch's.
template <class Terms>
struct MeanOver {
    using terms = Terms;
    template <class Out>
    static double mean(double sum, std::size_t rows) {
        return sum / static_cast<double>(rows * Terms::template per_row<Out>);
    }
    template <class Out>
    static float gradient_scale(std::size_t rows) {
        return 1.0f / static_cast<float>(rows * Terms::template per_row<Out>);
    }
};

using MeanOverElements = MeanOver<EachElement>;
using MeanOverClassVectors = MeanOver<EachClassVector>;
using MeanOverRows = MeanOver<EachRow>;

}  // namespace typenet
