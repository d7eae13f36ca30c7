// A variational autoencoder's pieces: the Sampling layer (its draws keyed by
// seed, step, layer and row; its mean in inference; its draws where asked),
// a layer's own loss term (in the step's loss, its gradient, the history and
// evaluate), and SumPerRow, the per-image sum of a loss.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "typenet/testing/test_layer.hpp"
#include "typenet/typenet.hpp"
#include "support/training_gradients.hpp"

namespace tn = typenet;

namespace {

template <tn::KLEstimate E>
using Latent3 = typename tn::Sampling<E>::template Bound<tn::Shape<6>>;

// A small VAE on 3x3 binary images: the encoder's Dense gives 2 means and 2
// log-variances; the decoder's sigmoid makes probabilities, trained on its
// logits with each image's crossentropies summed.
template <tn::KLEstimate E>
struct Encoder : tn::Sequential<tn::Flatten, tn::Dense<5, tn::ReLU>, tn::Dense<4>> {};
struct Decoder : tn::Sequential<tn::Dense<9, tn::Sigmoid>, tn::Reshape<3, 3>> {};
template <tn::KLEstimate E>
using Vae = tn::Model<tn::Input<3, 3>, Encoder<E>, tn::Sampling<E>, Decoder>;
using Loss = tn::SumPerRow<tn::BinaryCrossentropy<>>;
constexpr std::size_t batch = 8;

std::vector<float> binary_images(std::size_t count, std::uint64_t seed) {
    tn::Random random(seed);
    std::vector<float> images(count * 9);
    for (auto& pixel : images) pixel = random.uniform() < 0.4f ? 1.0f : 0.0f;
    return images;
}

}  // namespace

TEST(Sampling, BackwardMatchesCentralDifferencesWithItsLossTerm) {
    for (const auto phase : {tn::Phase::inference, tn::Phase::training}) {
        const auto analytic = tn::testing::test_layer<tn::Sampling<tn::KLEstimate::analytic>, tn::Shape<6>>(
            {.rows = 3, .phase = phase});
        EXPECT_TRUE(analytic.passed()) << analytic.summary();
        EXPECT_EQ(analytic.checked, 18u);
        const auto one_sample = tn::testing::test_layer<tn::Sampling<tn::KLEstimate::one_sample>, tn::Shape<6>>(
            {.rows = 3, .phase = phase});
        EXPECT_TRUE(one_sample.passed()) << one_sample.summary();
    }
}

TEST(Sampling, RefusesAnOddOrShapedInputAtCompileTime) {
    EXPECT_TRUE((tn::Sampling<>::input_check<tn::layer_index<0>, tn::Shape<4>>::value));
    EXPECT_TRUE((std::is_same_v<Latent3<tn::KLEstimate::analytic>::output_shape, tn::Shape<3>>));
}

TEST(Sampling, InferenceGivesTheMeanAndTrainingDrawsKeyedByStepLayerAndRow) {
    using B = Latent3<tn::KLEstimate::analytic>;
    const std::vector<float> x = {0.5f, -1.0f, 2.0f, 0.0f, 0.0f, 0.0f,   // logvar 0: sigma 1
                                  0.5f, -1.0f, 2.0f, 0.0f, 0.0f, 0.0f};
    std::vector<float> y(6);
    B::forward<tn::kernels::native_arch>(nullptr, x.data(), y.data(), 2, nullptr);
    EXPECT_EQ(y, (std::vector<float>{0.5f, -1.0f, 2.0f, 0.5f, -1.0f, 2.0f}));

    auto drawn = [&](std::int64_t step, std::size_t layer, std::size_t first_row) {
        std::vector<float> z(6);
        B::train_forward<tn::kernels::native_arch>(nullptr, x.data(), z.data(), 2, nullptr,
                                                   {.seed = 3, .step = step, .layer = layer, .first_row = first_row});
        return z;
    };
    const auto z = drawn(1, 2, 0);
    EXPECT_EQ(z, drawn(1, 2, 0));
    EXPECT_NE(std::vector<float>(z.begin(), z.begin() + 3), std::vector<float>(z.begin() + 3, z.end()))
        << "two rows drew the same noise";
    EXPECT_NE(z, drawn(2, 2, 0));
    EXPECT_NE(z, drawn(1, 3, 0));
    // Row 1 of a call that starts at row 0 is row 0 of one that starts at row 1.
    const auto shifted = drawn(1, 2, 1);
    EXPECT_EQ(std::vector<float>(z.begin() + 3, z.end()), std::vector<float>(shifted.begin(), shifted.begin() + 3));
}

TEST(Sampling, DrawsAreStandardNormalScaledByTheVariance) {
    using B = tn::Sampling<>::Bound<tn::Shape<2>>;
    constexpr std::size_t rows = 20000;
    std::vector<float> x(rows * 2), z(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        x[2 * r] = 1.0f;                      // mean 1
        x[2 * r + 1] = std::log(4.0f);        // variance 4
    }
    B::train_forward<tn::kernels::native_arch>(nullptr, x.data(), z.data(), rows, nullptr, {.seed = 11});
    const double mean = std::accumulate(z.begin(), z.end(), 0.0) / rows;
    double variance = 0.0;
    for (float v : z) variance += (v - mean) * (v - mean);
    variance /= rows - 1;
    EXPECT_NEAR(mean, 1.0, 0.05);       // 3.5 standard errors (2 / sqrt(20000) = 0.014)
    EXPECT_NEAR(variance, 4.0, 0.14);   // 3.5 standard errors (4 sqrt(2 / 20000) = 0.04)
}

TEST(Sampling, KlTermsAreTheDivergenceOfTheGaussianFromTheStandardNormal) {
    // mean 1, variance e: KL = 1/2 (1 + e - 1 - 1) = (e - 1) / 2.
    const std::vector<float> x = {1.0f, 1.0f};
    const std::vector<float> mean_out = {1.0f};
    using Analytic = tn::Sampling<tn::KLEstimate::analytic>::Bound<tn::Shape<2>>;
    using OneSample = tn::Sampling<tn::KLEstimate::one_sample>::Bound<tn::Shape<2>>;
    EXPECT_NEAR(Analytic::loss_term<tn::kernels::native_arch>(nullptr, x.data(), mean_out.data(), 1),
                (std::exp(1.0) - 1.0) / 2.0, 1e-6);
    // One sample at z = mean (eps = 0): log q - log p = 1/2 (z^2 - logvar) = 0.
    EXPECT_NEAR(OneSample::loss_term<tn::kernels::native_arch>(nullptr, x.data(), mean_out.data(), 1), 0.0, 1e-7);
    // Its mean over many draws is the divergence.
    constexpr std::size_t rows = 200000;
    std::vector<float> xs(rows * 2), z(rows);
    for (std::size_t r = 0; r < rows; ++r) std::copy(x.begin(), x.end(), xs.begin() + 2 * r);
    OneSample::train_forward<tn::kernels::native_arch>(nullptr, xs.data(), z.data(), rows, nullptr, {.seed = 5});
    EXPECT_NEAR(OneSample::loss_term<tn::kernels::native_arch>(nullptr, xs.data(), z.data(), rows) / rows,
                (std::exp(1.0) - 1.0) / 2.0, 0.02);
}

TEST(LossTerms, TheStepsLossIsTheLossPlusTheTermAndItsGradientsMatch) {
    using M = Vae<tn::KLEstimate::one_sample>;
    M model(4);
    tn::Trainer<M, tn::Adam, Loss, batch> trainer(model, {}, 2);
    trainer.set_seed(9);
    const auto images = binary_images(batch, 1);
    EXPECT_EQ(trainer.loss_part_names.size(), 2u);
    EXPECT_EQ(trainer.loss_part_names[0], "binary_crossentropy");
    EXPECT_EQ(trainer.loss_part_names[1], "kl_loss");
    const double loss = trainer.compute_gradients(images, images);
    EXPECT_DOUBLE_EQ(loss, trainer.loss_parts()[0] + trainer.loss_parts()[1]);
    // A reconstruction summed over 9 pixels: about 9 log 2 for a fresh model.
    EXPECT_GT(trainer.loss_parts()[0], 3.0);
    EXPECT_NE(trainer.loss_parts()[1], 0.0);
    tn::testing::expect_training_gradients_match(trainer, std::span<const float>(images),
                                                 std::span<const float>(images), 2);

    Vae<tn::KLEstimate::analytic> analytic_model(4);
    tn::Trainer<Vae<tn::KLEstimate::analytic>, tn::Adam, Loss, batch> analytic_trainer(analytic_model, {}, 1);
    tn::testing::expect_training_gradients_match(analytic_trainer, std::span<const float>(images),
                                                 std::span<const float>(images), 3);
}

// The same draws whichever thread runs a row: the steps agree to rounding
// (the shares' gradients are summed in another order).
TEST(LossTerms, OneAndTwoThreadsComputeTheSameStep) {
    using M = Vae<tn::KLEstimate::one_sample>;
    const auto images = binary_images(batch, 2);
    auto trained = [&](std::size_t threads) {
        M model(1);
        tn::Trainer<M, tn::Adam, Loss, batch> trainer(model, {}, threads);
        trainer.set_seed(3);
        std::vector<double> losses;
        for (int s = 0; s < 3; ++s) losses.push_back(trainer.step(images, images));
        return std::pair{losses, std::vector<float>(model.parameters().begin(), model.parameters().end())};
    };
    const auto [losses_1, parameters_1] = trained(1);
    const auto [losses_2, parameters_2] = trained(2);
    for (std::size_t s = 0; s < losses_1.size(); ++s) EXPECT_NEAR(losses_1[s], losses_2[s], 1e-5 * losses_1[s]);
    for (std::size_t i = 0; i < parameters_1.size(); ++i) EXPECT_NEAR(parameters_1[i], parameters_2[i], 1e-5f) << i;
}

TEST(LossTerms, EvaluateAddsTheTermAndDrawsOnlyWhenAsked) {
    using M = Vae<tn::KLEstimate::one_sample>;
    M model(2);
    const auto images = binary_images(50, 3);
    const tn::Samples<tn::Shape<3, 3>> x(images);
    tn::Workspace<M, batch> workspace;
    const auto means = tn::evaluate<Loss>(model, workspace, x, x);
    ASSERT_EQ(means.loss_parts.size(), 2u);
    EXPECT_DOUBLE_EQ(means.loss, means.loss_parts[0] + means.loss_parts[1]);
    // Drawn: the same numbers for the same seed, whatever the batch capacity
    // (each row's draws are keyed by its row of the data).
    const auto drawn = tn::evaluate<Loss>(model, workspace, x, x, tn::Draws{.seed = 8});
    tn::InferenceWorkspace<M, 7> small;
    const auto drawn_again = tn::evaluate<Loss>(model, small, x, x, tn::Draws{.seed = 8});
    EXPECT_NEAR(drawn.loss, drawn_again.loss, 1e-7 * drawn.loss);
    EXPECT_NE(drawn.loss, means.loss);
    EXPECT_NE(drawn.loss, tn::evaluate<Loss>(model, workspace, x, x, tn::Draws{.seed = 9}).loss);
    // The model called with draws gives what the evaluation saw.
    tn::Workspace<M, 50> all;
    const auto with_draws = model(all, images, tn::Draws{.seed = 8});
    const std::vector<float> drawn_outputs(with_draws.begin(), with_draws.end());
    const auto without = model(all, images);
    EXPECT_NE(drawn_outputs, std::vector<float>(without.begin(), without.end()));
    const auto again = model(all, images, tn::Draws{.seed = 8});
    EXPECT_EQ(drawn_outputs, std::vector<float>(again.begin(), again.end()));
}

TEST(LossTerms, FitReportsEachPartInTheHistory) {
    using M = Vae<tn::KLEstimate::analytic>;
    M model(5);
    tn::Trainer<M, tn::Adam, Loss, batch> trainer(model, {}, 1);
    const auto images = binary_images(64, 4);
    const tn::Samples<tn::Shape<3, 3>> x(images);
    const auto history = tn::fit(trainer, x, x, x, x,
                                 {.epochs = 3, .batch_size = batch, .verbose = false, .accuracy = false, .validation_draws = tn::Draws{.seed = 1}});
    ASSERT_EQ(history.size(), 3u);
    for (const auto& record : history) {
        ASSERT_EQ(record.loss_parts.size(), 2u);
        ASSERT_EQ(record.val_loss_parts.size(), 2u);
        EXPECT_EQ(record.part_names[1], "kl_loss");
        EXPECT_NEAR(record.loss, record.loss_parts[0] + record.loss_parts[1], 1e-9 * record.loss);
        EXPECT_NEAR(record.val_loss, record.val_loss_parts[0] + record.val_loss_parts[1], 1e-9 * record.val_loss);
        EXPECT_GE(record.loss_parts[1], 0.0);  // the analytic divergence is never negative
    }
    EXPECT_LT(history.back().loss, history.front().loss);
}

TEST(SumPerRow, IsTheMeanOverRowsOfEachRowsSum) {
    using M = tn::Model<tn::Input<9>, Decoder>;
    M model(1);
    const auto images = binary_images(4, 5);
    const tn::Samples<tn::Shape<9>> x(images);
    const tn::Samples<tn::Shape<3, 3>> y(images);
    tn::Workspace<M, 4> workspace;
    const double per_row = tn::evaluate<Loss>(model, workspace, x, y).loss;
    const double per_pixel = tn::evaluate<tn::BinaryCrossentropy<>>(model, workspace, x, y).loss;
    EXPECT_NEAR(per_row, 9.0 * per_pixel, 1e-9 * per_row);
}
