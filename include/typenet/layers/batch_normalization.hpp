#pragma once
// BatchNormalization<Momentum, Epsilon>: Keras's, over the last axis (the
// channels of an image, the units of a flat row), with Keras's defaults.
//
// Training normalizes each channel with the mean and the biased variance of
// the whole batch (every row and pixel), y = gamma (x - mean) / sqrt(var + eps)
// + beta, and, once the step has landed, moves the moving statistics towards
// the batch's as Keras does: moving -= (moving - batch) (1 - momentum), with
// the biased variance. (PyTorch's BatchNorm2d moves its running variance
// towards the unbiased one, and its momentum is 1 - Keras's: Keras's 0.99 is
// PyTorch's 0.1 ... 0.01, here momentum=0.01.) Inference normalizes with the
// moving statistics, an affine per channel, which a model's inference form
// folds into the convolution or dense layer before it (inference_form.hpp).
//
// The whole batch's statistics come from the trainer (layer.hpp): each
// thread's rows give sums of x and x^2 in double, added in share order.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>

#include "typenet/compile_time_text.hpp"
#include "typenet/decimal.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/layers/channel_affine.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <Decimal Momentum = "0.99", Decimal Epsilon = "0.001">
struct BatchNormalization {
    static_assert(Momentum.significand >= 0 && Momentum.value() < 1.0,
                  "typenet: BatchNormalization's momentum is from 0 up to (not including) 1 (Keras's default is 0.99)");
    static_assert(Epsilon.significand > 0, "typenet: BatchNormalization's epsilon must be positive (Keras's is 1e-3)");
    static constexpr float momentum = Momentum.value_as_float();
    static constexpr float epsilon = Epsilon.value_as_float();
    // What it is in the inference form: one affine per channel (see Bound::to_inference).
    using inference_layer = ChannelAffine;

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "BatchNormalization";
        static constexpr std::size_t channels = In::dims[In::rank - 1];
        static constexpr std::size_t pixels = In::size / channels;
        using input_shape = In;
        using output_shape = In;
        // gamma, beta | moving mean, moving variance | the count of batches.
        static constexpr std::size_t parameter_count = 4 * channels + 1;
        static constexpr bool is_view = false;
        // The affine of a pass, a scale and a shift per channel, and for a backward pass the batch's means.
        static constexpr std::size_t scratch_floats = 4 * channels;
        static constexpr std::array<TensorInfo, 5> tensors{{
            {"gamma", 0, 1, {channels, 0, 0, 0}, "weight"},
            {"beta", channels, 1, {channels, 0, 0, 0}, "bias"},
            {"moving_mean", 2 * channels, 1, {channels, 0, 0, 0}, "running_mean", TorchAxes::same,
             TensorRole::statistic},
            {"moving_variance", 3 * channels, 1, {channels, 0, 0, 0}, "running_var", TorchAxes::same,
             TensorRole::statistic},
            {"batches", 4 * channels, 0, {0, 0, 0, 0}, "num_batches_tracked", TorchAxes::same, TensorRole::counter},
        }};
        // Sums of x and x^2 per channel forward; of dy and dy x_hat backward.
        static constexpr std::size_t batch_sums = 2 * channels;

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append("momentum ");
            append_decimal(text, Momentum);
            text.append(" epsilon ");
            append_decimal(text, Epsilon);
        }

        static void initialize(float* params, Random&) {
            std::fill_n(params, channels, 1.0f);                 // gamma
            std::fill_n(params + channels, channels, 0.0f);      // beta
            std::fill_n(params + 2 * channels, channels, 0.0f);  // moving mean
            std::fill_n(params + 3 * channels, channels, 1.0f);  // moving variance
            params[4 * channels] = 0.0f;                         // no batch seen yet
        }

        // The inference form's affine: scale = gamma / sqrt(moving var + eps), shift = beta - moving mean scale.
        static void to_inference(const float* params, float* affine) {
            for (std::size_t c = 0; c < channels; ++c) {
                const float scale = params[c] / std::sqrt(params[3 * channels + c] + epsilon);
                affine[c] = scale;
                affine[channels + c] = params[channels + c] - params[2 * channels + c] * scale;
            }
        }

        // Inference: the affine of the moving statistics.
        template <class Arch>
        static void forward(const float* params, const float* x, float* y, std::size_t rows, float* scratch) {
            to_inference(params, scratch);
            apply_affine(scratch, x, y, rows);
        }

        // Inference's derivative, the statistics fixed: dx = dy scale, and
        // gamma's gradient along x normalized by the moving statistics.
        template <class Arch>
        static void backward(const float* params, const float* x, const float*, float* dy, float* dx,
                             float* grad_params, std::size_t rows, float* scratch) {
            float* inverse_deviation = scratch;
            for (std::size_t c = 0; c < channels; ++c)
                inverse_deviation[c] = 1.0f / std::sqrt(params[3 * channels + c] + epsilon);
            write_gradients(params + 2 * channels, inverse_deviation, x, dy, grad_params, rows);
            if (dx)
                for (std::size_t p = 0; p < rows * pixels; ++p)
                    for (std::size_t c = 0; c < channels; ++c)
                        dx[p * channels + c] = dy[p * channels + c] * params[c] * inverse_deviation[c];
        }

        template <class Arch>
        static void sum_forward(const float* x, std::size_t rows, double* sums) {
            double* sum = sums;
            double* square_sum = sums + channels;
            std::fill_n(sums, batch_sums, 0.0);
            for (std::size_t p = 0; p < rows * pixels; ++p)
                for (std::size_t c = 0; c < channels; ++c) {
                    const double value = x[p * channels + c];
                    sum[c] += value;
                    square_sum[c] += value * value;
                }
        }

        template <class Arch>
        static void train_forward(const float* params, const float* x, float* y, std::size_t rows, float* scratch,
                                  const TrainingPass& pass) {
            float* affine = scratch;
            const Statistics batch = batch_statistics(pass);
            for (std::size_t c = 0; c < channels; ++c) {
                const float scale = params[c] * batch.inverse_deviation[c];
                affine[c] = scale;
                affine[channels + c] = params[channels + c] - batch.mean[c] * scale;
            }
            apply_affine(affine, x, y, rows);
        }

        // This thread's rows' sums of dy and dy x_hat, x_hat = (x - mean) / deviation of the batch.
        template <class Arch>
        static void sum_backward(const float*, const float* x, const float* dy, std::size_t rows,
                                 const TrainingPass& pass, double* sums) {
            const Statistics batch = batch_statistics(pass);
            double* dy_sum = sums;
            double* dy_x_hat_sum = sums + channels;
            std::fill_n(sums, batch_sums, 0.0);
            for (std::size_t p = 0; p < rows * pixels; ++p)
                for (std::size_t c = 0; c < channels; ++c) {
                    const float x_hat = (x[p * channels + c] - batch.mean[c]) * batch.inverse_deviation[c];
                    dy_sum[c] += dy[p * channels + c];
                    dy_x_hat_sum[c] += double(dy[p * channels + c]) * x_hat;
                }
        }

        // With the whole batch's sums of dy and dy x_hat (means m1, m2 over its n values a channel):
        // dx = gamma / deviation (dy - m1 - x_hat m2). gamma's and beta's
        // gradients are this thread's rows' share; the trainer adds the shares.
        template <class Arch>
        static void train_backward(const float* params, const float* x, const float*, float* dy, float* dx,
                                   float* grad_params, std::size_t rows, float* scratch, const TrainingPass& pass) {
            const Statistics batch = batch_statistics(pass);
            write_gradients(batch.mean.data(), batch.inverse_deviation.data(), x, dy, grad_params, rows);
            if (!dx) return;
            float* dy_mean = scratch;
            float* dy_x_hat_mean = scratch + channels;
            float* scale = scratch + 2 * channels;
            const double n = double(pass.batch_rows * pixels);
            for (std::size_t c = 0; c < channels; ++c) {
                dy_mean[c] = static_cast<float>(pass.gradient_sums[c] / n);
                dy_x_hat_mean[c] = static_cast<float>(pass.gradient_sums[channels + c] / n);
                scale[c] = params[c] * batch.inverse_deviation[c];
            }
            for (std::size_t p = 0; p < rows * pixels; ++p)
                for (std::size_t c = 0; c < channels; ++c) {
                    const std::size_t i = p * channels + c;
                    const float x_hat = (x[i] - batch.mean[c]) * batch.inverse_deviation[c];
                    dx[i] = scale[c] * (dy[i] - dy_mean[c] - x_hat * dy_x_hat_mean[c]);
                }
        }

        // Once the step has landed: the moving statistics towards the batch's, as Keras moves them.
        static void learn(float* params, const TrainingPass& pass) {
            const double n = double(pass.batch_rows * pixels);
            for (std::size_t c = 0; c < channels; ++c) {
                const double mean = pass.batch_sums[c] / n;
                const double variance = std::max(0.0, pass.batch_sums[channels + c] / n - mean * mean);
                float& moving_mean = params[2 * channels + c];
                float& moving_variance = params[3 * channels + c];
                moving_mean -= (moving_mean - static_cast<float>(mean)) * (1.0f - momentum);
                moving_variance -= (moving_variance - static_cast<float>(variance)) * (1.0f - momentum);
            }
            params[4 * channels] += 1.0f;
        }

    private:
        struct Statistics {
            std::array<float, channels> mean, inverse_deviation;
        };
        // The batch's mean and 1 / sqrt(biased variance + eps) a channel, from its sums.
        static Statistics batch_statistics(const TrainingPass& pass) {
            Statistics batch;
            const double n = double(pass.batch_rows * pixels);
            for (std::size_t c = 0; c < channels; ++c) {
                const double mean = pass.batch_sums[c] / n;
                const double variance = std::max(0.0, pass.batch_sums[channels + c] / n - mean * mean);
                batch.mean[c] = static_cast<float>(mean);
                batch.inverse_deviation[c] = static_cast<float>(1.0 / std::sqrt(variance + double(epsilon)));
            }
            return batch;
        }

        static void apply_affine(const float* affine, const float* x, float* y, std::size_t rows) {
            for (std::size_t p = 0; p < rows * pixels; ++p)
                for (std::size_t c = 0; c < channels; ++c)
                    y[p * channels + c] = x[p * channels + c] * affine[c] + affine[channels + c];
        }

        // gamma's gradient, sum dy x_hat, and beta's, sum dy, over these rows;
        // the statistics are not trained, so their gradients are 0.
        static void write_gradients(const float* mean, const float* inverse_deviation, const float* x,
                                    const float* dy, float* grad_params, std::size_t rows) {
            float* grad_gamma = grad_params;
            float* grad_beta = grad_params + channels;
            std::fill_n(grad_params, parameter_count, 0.0f);
            for (std::size_t p = 0; p < rows * pixels; ++p)
                for (std::size_t c = 0; c < channels; ++c) {
                    const float x_hat = (x[p * channels + c] - mean[c]) * inverse_deviation[c];
                    grad_gamma[c] += dy[p * channels + c] * x_hat;
                    grad_beta[c] += dy[p * channels + c];
                }
        }
    };
};

}  // namespace typenet
