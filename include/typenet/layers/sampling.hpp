#pragma once
// Sampling<Estimate>: the reparameterization of a variational autoencoder
// (Kingma and Welling; Keras's VAE example calls the layer Sampling). It
// reads 2 x latent numbers a row, the mean and then the log-variance of a
// diagonal Gaussian q(z|x) (as tf.split(x, 2, axis=1) splits them), and writes
//   z = mean + exp(logvar / 2) * eps,   eps ~ N(0, 1),
// so that the gradient reaches both the mean and the log-variance through a
// draw that does not depend on them.
//
// When it draws:
//   - in training, always: eps from the seed's sampling stream, keyed by the
//     step, the layer and the row of the whole batch as dropout's masks are,
//     and drawn again in backward rather than kept;
//   - in inference (the model called, predict, a part), never: z = mean, the
//     code a VAE's encoder gives an image;
//   - where the program asks for draws (model.hpp's Draws: a sampled
//     evaluation, or a model called with Draws{seed}): from that seed, keyed
//     by the row of the data, so that a set is evaluated on the same noise
//     whatever the batch.
//
// Its loss term (layer.hpp), kl_loss, is the divergence of q(z|x) from the
// prior N(0, I), per row, estimated as Estimate says:
//   KLEstimate::analytic    1/2 sum (mean^2 + e^logvar - 1 - logvar): exact (Keras's VAE example)
//   KLEstimate::one_sample  log q(z|x) - log p(z) at the z drawn, 1/2 sum (z^2 - eps^2 - logvar):
//                           TensorFlow's CVAE tutorial, whose ELBO is estimated with one sample.
// The term is computed from the layer's input and output; eps is (z - mean) /
// exp(logvar / 2) there, 0 where nothing was drawn.
#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/random.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

enum class KLEstimate { analytic, one_sample };

template <KLEstimate Estimate = KLEstimate::analytic>
struct Sampling {
    static constexpr KLEstimate estimate = Estimate;

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = In::rank == 1 && In::size % 2 == 0;
        static_assert(value, "typenet: Sampling reads a flat input of 2 x latent numbers a row, the means and then "
                             "the log-variances; give it a Dense with an even number of units");
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Sampling";
        static constexpr std::size_t latent = In::size / 2;
        using input_shape = In;
        using output_shape = Shape<latent>;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};
        static constexpr std::string_view loss_term_name = "kl_loss";
        static constexpr bool draws_in_evaluation = true;

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append(Estimate == KLEstimate::analytic ? "kl analytic" : "kl one_sample");
        }

        static void initialize(float*, Random&) {}

        // Inference: the mean.
        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t i = 0; i < latent; ++i) y[r * latent + i] = x[r * In::size + i];
        }
        template <class Arch>
        static void backward(const float*, const float*, const float*, float* dy, float* dx, float*,
                             std::size_t rows, float*) {
            if (!dx) return;
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t i = 0; i < latent; ++i) {
                    dx[r * In::size + i] = dy[r * latent + i];
                    dx[r * In::size + latent + i] = 0.0f;
                }
        }

        template <class Arch>
        static void train_forward(const float*, const float* x, float* y, std::size_t rows, float*,
                                  const TrainingPass& pass) {
            for (std::size_t r = 0; r < rows; ++r) {
                const auto eps = noise(pass, r);
                const float* mean = x + r * In::size;
                const float* log_variance = mean + latent;
                for (std::size_t i = 0; i < latent; ++i)
                    y[r * latent + i] = std::fma(std::exp(0.5f * log_variance[i]), eps[i], mean[i]);
            }
        }

        // dz/dmean = 1, dz/dlogvar = eps * exp(logvar / 2) / 2; and the loss term's derivatives.
        template <class Arch>
        static void train_backward(const float*, const float* x, const float* y, float* dy, float* dx, float*,
                                   std::size_t rows, float*, const TrainingPass& pass) {
            if (!dx) return;
            const float scale = pass.loss_term_scale;
            for (std::size_t r = 0; r < rows; ++r) {
                const auto eps = noise(pass, r);
                const float* mean = x + r * In::size;
                const float* log_variance = mean + latent;
                for (std::size_t i = 0; i < latent; ++i) {
                    const float sigma = std::exp(0.5f * log_variance[i]), z = y[r * latent + i];
                    const float dz = dy[r * latent + i];
                    float term_mean, term_log_variance;
                    if constexpr (Estimate == KLEstimate::analytic) {
                        term_mean = mean[i];
                        term_log_variance = 0.5f * (sigma * sigma - 1.0f);
                    } else {
                        term_mean = z;
                        term_log_variance = 0.5f * (z * sigma * eps[i] - 1.0f);
                    }
                    dx[r * In::size + i] = dz + scale * term_mean;
                    dx[r * In::size + latent + i] = 0.5f * dz * sigma * eps[i] + scale * term_log_variance;
                }
            }
        }

        template <class Arch>
        static double loss_term(const float*, const float* x, const float* y, std::size_t rows) {
            double sum = 0.0;
            for (std::size_t r = 0; r < rows; ++r) {
                const float* mean = x + r * In::size;
                const float* log_variance = mean + latent;
                for (std::size_t i = 0; i < latent; ++i) {
                    const double lv = log_variance[i];
                    if constexpr (Estimate == KLEstimate::analytic) {
                        sum += 0.5 * (double(mean[i]) * mean[i] + std::exp(lv) - 1.0 - lv);
                    } else {
                        const double z = y[r * latent + i], eps = (z - mean[i]) * std::exp(-0.5 * lv);
                        sum += 0.5 * (z * z - eps * eps - lv);
                    }
                }
            }
            return sum;
        }

    private:
        static std::array<float, latent> noise(const TrainingPass& pass, std::size_t r) {
            Random random(pass.seed, Stream::sampling, static_cast<std::uint64_t>(pass.step), pass.layer,
                          pass.first_row + r);
            std::array<float, latent> eps;
            for (float& e : eps) e = random.normal();
            return eps;
        }
    };
};

}  // namespace typenet
