// Optimizers against hand-worked values, and a small network that must learn.
#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe, alarm

#include <algorithm>
#include <bit>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <regex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "notebook_models.hpp"
#include "typenet/io/model_file.hpp"
#include "typenet/typenet.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>  // _mm_getcsr, _mm_setcsr
#endif

namespace tn = typenet;
using ::testing::HasSubstr;

namespace {

std::vector<std::uint32_t> bits_of(std::span<const float> values) {
    std::vector<std::uint32_t> bits(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) bits[i] = std::bit_cast<std::uint32_t>(values[i]);
    return bits;
}

// Everything a step may change, bit for bit: the parameters, the optimizer's
// state (each slot a checkpoint holds) and its step count.
struct TrainingState {
    std::vector<std::uint32_t> parameters;
    std::vector<std::vector<std::uint32_t>> slots;
    std::int64_t step = 0;
    bool operator==(const TrainingState&) const = default;
};

template <class M, class State>
TrainingState training_state(const M& model, const State& state) {
    TrainingState result{bits_of(model.parameters()), {}, state.step};
    for (const auto& slot : tn::io::optimizer_state_layout<State>::slots)
        result.slots.push_back(bits_of((state.*slot.floats).span()));
    return result;
}

// Empty when a and b hold the same bits, else where and how they first differ.
std::string bit_difference(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size()) return fmt::format("{} floats against {}", a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]))
            return fmt::format("float {} differs: {} ({:08x}) against {} ({:08x})", i, a[i],
                               std::bit_cast<std::uint32_t>(a[i]), b[i], std::bit_cast<std::uint32_t>(b[i]));
    return {};
}

bool all_finite(std::span<const float> values) {
    return std::all_of(values.begin(), values.end(), [](float x) { return std::isfinite(x); });
}

}  // namespace

TEST(Adam, TwoStepsMatchKerasFormula) {
    // Worked in double with Keras's update: alpha = lr sqrt(1 - b2^t) / (1 - b1^t),
    // m += (g - m)(1 - b1), v += (g^2 - v)(1 - b2), w -= alpha m / (sqrt(v) + eps).
    tn::Adam adam;
    tn::Adam::State state(2);
    std::vector<float> w{0.5f, -0.25f};
    std::vector<float> g{0.2f, -0.05f};
    adam.update<tn::kernels::native_arch>(w, g, state);
    EXPECT_NEAR(w[0], 0.4990000158111383, 1e-7);
    EXPECT_NEAR(w[1], -0.24900006324155347, 1e-7);
    g = {-0.1f, 0.3f};
    adam.update<tn::kernels::native_arch>(w, g, state);
    EXPECT_NEAR(w[0], 0.4987336825395067, 1e-7);
    EXPECT_NEAR(w[1], -0.24962397542080245, 1e-7);
    EXPECT_EQ(state.step, 2);
}

TEST(SGD, MomentumMatchesKerasFormula) {
    tn::SGD sgd{.learning_rate = 0.1f, .momentum = 0.9f};
    tn::SGD::State state(1);
    std::vector<float> w{1.0f};
    const std::vector<float> g{0.5f};
    sgd.update<tn::kernels::native_arch>(w, g, state);  // velocity -0.05
    EXPECT_FLOAT_EQ(w[0], 0.95f);
    sgd.update<tn::kernels::native_arch>(w, g, state);  // velocity 0.9 * -0.05 - 0.05 = -0.095
    EXPECT_FLOAT_EQ(w[0], 0.855f);
}

// A synthetic task: reconstruct 16-dimensional points that lie on a 3-dimensional subspace.
TEST(Fit, SmallAutoencoderLossFalls) {
    using M = tn::Model<tn::Input<16>, tn::Dense<8, tn::Tanh>, tn::Dense<3, tn::Linear>, tn::Dense<8, tn::Tanh>,
                        tn::Dense<16, tn::Sigmoid>>;
    tn::Random random(3);
    std::vector<float> basis(3 * 16), data(1000 * 16);
    for (auto& b : basis) b = random.uniform(-1.0f, 1.0f);
    for (std::size_t i = 0; i < 1000; ++i) {
        const float c[3] = {random.uniform(-1, 1), random.uniform(-1, 1), random.uniform(-1, 1)};
        for (std::size_t j = 0; j < 16; ++j)
            data[i * 16 + j] = 0.5f + 0.15f * (c[0] * basis[j] + c[1] * basis[16 + j] + c[2] * basis[32 + j]);
    }
    const std::span<const float> all(data);
    const tn::Samples<tn::Shape<16>> x{all.first(800 * 16)}, validation{all.subspan(800 * 16)};
    M model(0);
    tn::Trainer<M, tn::Adam, tn::MSE, 32> trainer(model, tn::Adam{.learning_rate = 3e-3f});
    const auto history = tn::fit(trainer, x, x, validation, validation, {.epochs = 30, .batch_size = 32, .verbose = false, .on_epoch_end = {}});
    ASSERT_EQ(history.size(), 30u);
    EXPECT_LT(history.back().loss, 0.2 * history.front().loss);
    EXPECT_LT(history.back().val_loss, 0.2 * history.front().val_loss);
    EXPECT_NEAR(history.back().val_loss, tn::evaluate<tn::MSE>(model, trainer.workspace(), validation, validation).loss, 1e-12);
}

// A partial last batch trains on its real rows only: the loss is their mean,
// and rows past them in the workspace (stale data) change nothing.
TEST(Trainer, PartialBatchUsesOnlyRealRows) {
    using M = tn::Model<tn::Input<5>, tn::Dense<4, tn::Tanh>, tn::Dense<5, tn::Sigmoid>>;
    tn::Random random(1);
    std::vector<float> x(3 * 5), stale(8 * 5, 1e6f);
    for (auto& v : x) v = random.uniform();
    M a(4), b(4);
    tn::Trainer<M, tn::SGD, tn::MSE, 8> roomy(a);
    tn::Trainer<M, tn::SGD, tn::MSE, 3> exact(b);
    roomy.compute_gradients(stale, stale);
    EXPECT_DOUBLE_EQ(roomy.compute_gradients(x, x), exact.compute_gradients(x, x));
    for (std::size_t i = 0; i < M::parameter_count; ++i) ASSERT_EQ(roomy.gradients()[i], exact.gradients()[i]) << i;
}

// Two threads split the batch; the summed gradients match one thread's up to rounding,
// and a fixed thread count gives the same result every time.
TEST(Trainer, ThreadsShareTheBatch) {
    using M = notebook::DenseAutoencoder;
    tn::Random random(2);
    std::vector<float> x(32 * 784);
    for (auto& v : x) v = random.uniform();
    M one(3), two(3), again(3);
    tn::Trainer<M, tn::Adam, tn::MSE, 32> single(one, {}, 1), pair(two, {}, 2), pair_again(again, {}, 2);
    for (int step = 0; step < 3; ++step) {
        EXPECT_NEAR(single.step(x, x), pair.step(x, x), 1e-6);
        pair_again.step(x, x);
    }
    for (std::size_t i = 0; i < M::parameter_count; ++i) {
        ASSERT_NEAR(one.parameters()[i], two.parameters()[i], 1e-5) << i;
        ASSERT_EQ(two.parameters()[i], again.parameters()[i]) << i;
    }
    const std::vector<float> odd(5 * 784, 0.25f), one_row(784, 0.75f);  // uneven shares, and an empty one
    EXPECT_NEAR(single.step(odd, odd), pair.step(odd, odd), 1e-5);
    EXPECT_NEAR(single.step(one_row, one_row), pair.step(one_row, one_row), 1e-5);
    for (std::size_t i = 0; i < M::parameter_count; ++i) ASSERT_NEAR(one.parameters()[i], two.parameters()[i], 1e-4) << i;
}

// Who runs the shares changes the time only: the calling thread alone, one
// share after another, gives the team's results bit for bit.
TEST(Trainer, SharesRunByTheCallerGiveTheTeamsBits) {
    using M = notebook::DenseAutoencoder;
    tn::Random random(4);
    std::vector<float> x(3 * 32 * 784);
    for (auto& v : x) v = random.uniform();
    M by_team(6), by_caller(6);
    tn::Trainer<M, tn::Adam, tn::MSE, 32> team(by_team, {}, 2), caller(by_caller, {}, 2);
    team.dispatch() = tn::Dispatch(tn::Dispatch::Mode::team);
    caller.dispatch() = tn::Dispatch(tn::Dispatch::Mode::caller);
    for (std::size_t rows : {32, 32, 7, 1}) {
        const auto batch = std::span<const float>(x).subspan(0, rows * 784);
        ASSERT_EQ(team.step(batch, batch), caller.step(batch, batch));
    }
    for (std::size_t i = 0; i < M::parameter_count; ++i)
        ASSERT_EQ(by_team.parameters()[i], by_caller.parameters()[i]) << i;
}

// Before Adam writes a thread's slice, the thread takes its cache lines by
// storing each line's own byte: no bit may change, NaN payloads included, and
// nothing outside the slice is touched, wherever in a line it starts and ends.
TEST(Trainer, TakingCacheLinesChangesNoBit) {
    std::vector<std::uint32_t> bits(300);
    for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = 0x7f800001u + static_cast<std::uint32_t>(i) * 2654435761u;
    std::vector<float> floats(bits.size());
    std::memcpy(floats.data(), bits.data(), bits.size() * sizeof(float));
    using Slice = std::pair<std::size_t, std::size_t>;  // first, count
    for (const auto& [first, count] : {Slice{0, 300}, Slice{3, 1}, Slice{5, 40}, Slice{17, 283}, Slice{7, 0}}) {
        tn::claim_cache_lines(std::span<float>(floats).subspan(first, count));
        EXPECT_EQ(std::memcmp(floats.data(), bits.data(), bits.size() * sizeof(float)), 0)
            << "first " << first << " count " << count;
    }
}

// Measured dispatch probes both ways, then keeps the faster until the next probe.
TEST(Dispatch, KeepsTheFasterWay) {
    for (const bool caller_is_faster : {true, false}) {
        tn::Dispatch dispatch;
        std::size_t alone_steps = 0;
        for (std::size_t step = 0; step < 4096; ++step) {
            const bool alone = dispatch.alone();
            alone_steps += alone;
            dispatch.record(alone == caller_is_faster ? 1e-4 : 2e-4);
        }
        // Each period of 1024 steps probes 4 steps each way.
        EXPECT_EQ(alone_steps, caller_is_faster ? 4096u - 4 * 4 : 4u * 4) << caller_is_faster;
    }
    tn::Dispatch team(tn::Dispatch::Mode::team), caller(tn::Dispatch::Mode::caller);
    for (int step = 0; step < 20; ++step) {
        EXPECT_FALSE(team.alone());
        EXPECT_TRUE(caller.alone());
        team.record(1.0);
        caller.record(1.0);
    }
}

TEST(Model, PartsRunAloneGiveTheModelBitForBit) {
    using M = notebook::DenseAutoencoder;
    M model(5);
    tn::Random random(2);
    std::vector<float> x(7 * 784);
    for (auto& v : x) v = random.uniform();
    tn::Workspace<M, 8> whole, parts;
    const auto y = model(whole, x);
    const auto codes = model.part<notebook::DenseEncoder>()(parts, x);
    ASSERT_EQ(codes.size(), 7u * 64u);
    const std::vector<float> kept_codes(codes.begin(), codes.end());
    tn::Workspace<M, 8> decoder_only;  // the decoder also runs from codes that came from elsewhere
    const auto y_parts = model.part<notebook::DenseDecoder>()(decoder_only, kept_codes);
    ASSERT_EQ(y.size(), y_parts.size());
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], y_parts[i]) << i;
    EXPECT_EQ(&model.part<0>()(parts, x)[0], codes.data());
}

// The first layer reads the input where it is, unless the run would write over
// it: fed one of its own activations, in the same workspace, the model still
// gives what it gives on a copy of them.
TEST(Model, ReadsItsInputInPlaceOnlyWhenSafe) {
    using M = tn::Model<tn::Input<8>, tn::Dense<16, tn::Tanh>, tn::Dense<8>>;
    M model(5);
    tn::Random random(3);
    std::vector<float> x(3 * 8);
    for (auto& v : x) v = random.uniform();
    tn::Workspace<M, 3> workspace, other;
    model(workspace, x);
    // The first layer writes rows of 16 here: read in place, its first row would overwrite the second input row.
    const std::span<const float> hidden(workspace.activation(1), x.size());
    const std::vector<float> copy(hidden.begin(), hidden.end());
    const auto expected = model(other, copy);
    const auto result = model(workspace, hidden);
    for (std::size_t i = 0; i < result.size(); ++i) ASSERT_EQ(result[i], expected[i]) << i;
}

TEST(Model, WrongInputSizeIsAClearError) {
    notebook::DenseAutoencoder model;
    tn::Workspace<notebook::DenseAutoencoder, 4> workspace;
    const std::vector<float> too_many(5 * 784), ragged(783);
    EXPECT_THROW(model(workspace, too_many), tn::UsageError);
    try {
        model(workspace, ragged);
        FAIL();
    } catch (const tn::UsageError& e) {
        EXPECT_STREQ(e.what(), "typenet: expected 1 to 4 rows of 784 floats, got 783 floats");
    }
}

TEST(Model, SeedGivesGlorotUniformWeightsAndZeroBiases) {
    notebook::DenseAutoencoder a(9), b(9), c(10);
    EXPECT_TRUE(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
    EXPECT_FALSE(std::equal(a.parameters().begin(), a.parameters().end(), c.parameters().begin()));
    const float limit = std::sqrt(6.0f / (784 + 64));
    float largest = 0.0f;
    for (std::size_t i = 0; i < 784 * 64; ++i) largest = std::max(largest, std::abs(a.parameters()[i]));
    EXPECT_LE(largest, limit);
    EXPECT_GT(largest, 0.99f * limit);
    for (std::size_t i = 784 * 64; i < 784 * 64 + 64; ++i) EXPECT_EQ(a.parameters()[i], 0.0f);
}

// A non-finite loss or gradient stops training before the update, saying where.
TEST(Trainer, NonFiniteGradientStopsBeforeTheUpdate) {
    using M = tn::Model<tn::Input<6>, tn::Dense<5, tn::Tanh>, tn::Dense<6, tn::Sigmoid>>;
    M model(1);
    model.parameters()[3] = std::numeric_limits<float>::quiet_NaN();  // a weight of layer 0
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    tn::Trainer<M, tn::Adam, tn::MSE, 4> trainer(model);
    const std::vector<float> x(4 * 6, 0.5f);
    try {
        trainer.step(x, x);
        FAIL() << "no NumericalError";
    } catch (const tn::NumericalError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("layer 0 (Dense) has"), std::string::npos) << message;
    }
    for (std::size_t i = 0; i < M::parameter_count; ++i)
        ASSERT_TRUE(std::isnan(before[i]) ? std::isnan(model.parameters()[i]) : before[i] == model.parameters()[i]) << i;
}

TEST(Fit, NonFiniteInputStopsWithEpochAndStep) {
    using M = tn::Model<tn::Input<4>, tn::Dense<3, tn::ReLU>, tn::Dense<4, tn::Sigmoid>>;
    std::vector<float> data(40 * 4, 0.25f);
    data[21 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();  // row 21: the third batch of 8
    const tn::Samples<tn::Shape<4>> x{data};
    M model(0);
    tn::Trainer<M, tn::Adam, tn::MSE, 8> trainer(model);
    tn::FitOptions options;
    options.batch_size = 8;
    options.shuffle = false;
    options.verbose = false;
    try {
        tn::fit(trainer, x, x, tn::Samples<tn::Shape<4>>{}, tn::Samples<tn::Shape<4>>{}, options);
        FAIL() << "no NumericalError";
    } catch (const tn::NumericalError& e) {
        EXPECT_NE(std::string(e.what()).find("training stopped at epoch 1, step 3 of 5: the loss is nan"),
                  std::string::npos)
            << e.what();
    }
}

// The first symptom seen: gradients near 1e36 are finite, but their squares
// are not, and Adam's v became infinite at a step that returned normally; the
// next step turned every weight into NaN, and only the one after threw.
TEST(Trainer, AdamRefusesAStepWhoseSquaredGradientsOverflow) {
    using M = tn::Model<tn::Input<4>, tn::Dense<1>>;
    M model(1);
    tn::Trainer<M, tn::Adam, tn::MSE, 4> trainer(model);
    const std::vector<float> huge(4 * 4, 1e18f), ordinary(4 * 4, 0.5f), targets(4, 0.0f);
    EXPECT_THROW(trainer.step(huge, targets), tn::NumericalError);
    trainer.step(ordinary, targets);
    EXPECT_TRUE(all_finite(model.parameters()));
    EXPECT_TRUE(all_finite(trainer.optimizer_state().v.span()));
}

// A step whose update would make any weight or any of the optimizer's state
// non-finite changes nothing, bit for bit, and throws at that step, saying
// where: for Adam (squared gradients overflow) and SGD with momentum (the
// velocity overflows), on one thread and on two, where the second thread's
// slice of the parameters (the last kernel row and the bias) would update
// finitely: it is not updated either. The kernel gradients are about 4e34.
template <class Optimizer>
void expect_overflowing_update_refused(Optimizer optimizer, std::size_t threads) {
    using M = tn::Model<tn::Input<4>, tn::Dense<16>>;
    M model(2);
    // The outputs are then 0.3 of the inputs' scale: the loss of the huge step stays finite.
    std::fill_n(model.parameters().begin(), 4 * 16, 0.1f);
    tn::Trainer<M, Optimizer, tn::MSE, 4> trainer(model, optimizer, threads);
    trainer.dispatch() = tn::Dispatch(tn::Dispatch::Mode::team);
    const auto& state = trainer.optimizer_state();
    // Column 3 stays small, so its kernel row and the bias get finite updates.
    std::vector<float> ordinary(4 * 4, 1e-3f), huge(4 * 4, 1e18f);
    for (std::size_t r = 0; r < 4; ++r) huge[r * 4 + 3] = 0.0f;
    const std::vector<float> targets(4 * 16, 0.0f);
    trainer.step(ordinary, targets);
    const TrainingState before = training_state(model, state);
    try {
        trainer.step(huge, targets);
        ADD_FAILURE() << "no NumericalError; " << (all_finite(model.parameters()) ? "" : "the weights are not finite");
    } catch (const tn::NumericalError& e) {
        EXPECT_THAT(e.what(), HasSubstr("layer 0 (Dense)"));
        EXPECT_THAT(e.what(), HasSubstr("non-finite"));
    }
    EXPECT_TRUE(training_state(model, state) == before) << "the refused step changed the weights or the state";
    trainer.step(ordinary, targets);
    EXPECT_TRUE(all_finite(model.parameters()));
    EXPECT_EQ(state.step, 2);
}

TEST(Trainer, AnUpdateThatWouldOverflowThrowsAndChangesNothing) {
    for (const std::size_t threads : {1, 2}) {
        SCOPED_TRACE(fmt::format("{} threads", threads));
        {
            SCOPED_TRACE("Adam");
            expect_overflowing_update_refused(tn::Adam{}, threads);
        }
        {
            SCOPED_TRACE("SGD");
            expect_overflowing_update_refused(tn::SGD{.learning_rate = 1e5f, .momentum = 0.9f}, threads);
        }
    }
}

// After the program had the optimizer's state (to load a checkpoint into it,
// say), the next step checks its update exactly, with a probe first, where
// otherwise bounds decide: the update is the same arithmetic either way.
template <class Optimizer>
void expect_exact_check_gives_the_same_bits(Optimizer optimizer) {
    using M = tn::Model<tn::Input<16>, tn::Dense<8, tn::Tanh>, tn::Dense<16, tn::Sigmoid>>;
    M bounded(10), checked(10);
    tn::Trainer<M, Optimizer, tn::MSE, 8> by_bounds(bounded, optimizer, 2), exactly(checked, optimizer, 2);
    tn::Random random(11, tn::Stream::test);
    std::vector<float> x(8 * 16);
    for (int step = 0; step < 4; ++step) {
        for (float& value : x) value = random.uniform();
        exactly.optimizer_state();
        EXPECT_EQ(by_bounds.step(x, x), exactly.step(x, x));
    }
    EXPECT_TRUE(training_state(bounded, std::as_const(by_bounds).optimizer_state()) ==
                training_state(checked, std::as_const(exactly).optimizer_state()));
}

TEST(Trainer, TheExactCheckOfAnUpdateGivesTheBitsTheBoundsDo) {
    expect_exact_check_gives_the_same_bits(tn::Adam{});
    expect_exact_check_gives_the_same_bits(tn::SGD{.learning_rate = 0.1f, .momentum = 0.9f});
}

// With epsilon 0 the bounds prove nothing (a zero gradient gives 0/0), so the
// exact check runs: it accepts the update when no weight gets a 0/0, and
// refuses it, changing nothing, when one would. The padding after a layer's
// parameters, zeros that no weight sees, is left out of the check and of the
// update alike.
TEST(Trainer, AnUpdateTheBoundsCannotProveIsCheckedExactly) {
    using M = tn::Model<tn::Input<4>, tn::Dense<3>>;
    static_assert(M::parameter_count == 16, "15 parameters, then a float of padding");
    M model(12);
    tn::Trainer<M, tn::Adam, tn::MSE, 2> trainer(model, tn::Adam{.epsilon = 0.0f});
    const auto& state = trainer.optimizer_state();
    std::vector<float> x{0.5f, -0.25f, 1.0f, 0.75f, -0.5f, 0.25f, 0.125f, 1.5f};
    const std::vector<float> y{0.1f, 0.2f, 0.3f, -0.1f, -0.2f, -0.3f};
    for (int step = 0; step < 3; ++step) EXPECT_NO_THROW(trainer.step(x, y));
    EXPECT_EQ(state.step, 3);
    EXPECT_TRUE(all_finite(model.parameters()));
    EXPECT_EQ(model.parameters()[15], 0.0f);

    M fresh(12);
    tn::Trainer<M, tn::Adam, tn::MSE, 2> refusing(fresh, tn::Adam{.epsilon = 0.0f});
    x[0] = x[4] = 0.0f;  // input 0 is 0: its kernel row gets zero gradients, and m / sqrt(v) = 0/0
    const TrainingState before = training_state(fresh, std::as_const(refusing).optimizer_state());
    EXPECT_THROW(refusing.step(x, y), tn::NumericalError);
    EXPECT_TRUE(training_state(fresh, std::as_const(refusing).optimizer_state()) == before);
}

// Adam's step size folds in 1 / (1 - beta1^t): at beta1 = 1 it is infinite,
// and with a NaN learning rate NaN; the step refuses, changing nothing.
TEST(Adam, AStepSizeThatIsNotFiniteThrowsAndChangesNothing) {
    using M = tn::Model<tn::Input<4>, tn::Dense<3>>;
    for (const tn::Adam adam : {tn::Adam{.beta1 = 1.0f}, tn::Adam{.learning_rate = std::numeric_limits<float>::quiet_NaN()}}) {
        M model(3);
        tn::Trainer<M, tn::Adam, tn::MSE, 2> trainer(model, adam);
        const auto& state = trainer.optimizer_state();
        const std::vector<float> x(2 * 4, 0.5f), y(2 * 3, 0.25f);
        const TrainingState before = training_state(model, state);
        try {
            trainer.step(x, y);
            ADD_FAILURE() << "no NumericalError; " << (all_finite(model.parameters()) ? "" : "the weights are not finite");
        } catch (const tn::NumericalError& e) {
            EXPECT_THAT(e.what(), HasSubstr("step size"));
        }
        EXPECT_TRUE(training_state(model, state) == before);
    }
}

// A step count outside 0 to max_optimizer_step - 1 cannot be counted on:
// Adam's bias corrections at t <= 0 are NaN, and ++step could overflow.
TEST(Trainer, AStepCountOutsideItsRangeIsAUsageError) {
    using M = tn::Model<tn::Input<4>, tn::Dense<3>>;
    const std::vector<float> x(2 * 4, 0.5f), y(2 * 3, 0.25f);
    for (const std::int64_t bad : {std::int64_t{-1}, std::numeric_limits<std::int64_t>::max()}) {
        M model(4);
        tn::Trainer<M, tn::SGD, tn::MSE, 2> sgd(model);
        sgd.optimizer_state().step = bad;
        EXPECT_THROW(sgd.step(x, y), tn::UsageError) << bad;
        tn::Trainer<M, tn::Adam, tn::MSE, 2> adam(model);
        adam.optimizer_state().step = bad;
        EXPECT_THROW(adam.step(x, y), tn::UsageError) << bad;
        EXPECT_TRUE(all_finite(model.parameters())) << bad;
    }
}

// backward's rows are checked as every other entry point's are (a workspace
// holds Capacity rows: more would write past its end).
TEST(Trainer, BackwardChecksItsRowsAgainstTheCapacity) {
    using M = tn::Model<tn::Input<4>, tn::Dense<3>>;
    M model(5);
    tn::Trainer<M, tn::SGD, tn::MSE, 2> trainer(model);
    for (const std::size_t rows : {0, 3, 100}) {
        try {
            trainer.backward(rows, true);
            ADD_FAILURE() << "no UsageError for " << rows << " rows";
        } catch (const tn::UsageError& e) {
            EXPECT_EQ(std::string(e.what()), fmt::format("typenet: a batch holds 1 to 2 rows, not {}", rows));
        }
    }
}

#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
// Sets flush-to-zero and denormals-are-zero on this thread for as long as it lives.
class FlushDenormals {
public:
#if defined(__aarch64__)
    FlushDenormals() {
        asm volatile("mrs %0, fpcr" : "=r"(saved_));
        const std::uint64_t flush = saved_ | (std::uint64_t{1} << 24);  // FZ
        asm volatile("msr fpcr, %0" : : "r"(flush));
    }
    ~FlushDenormals() { asm volatile("msr fpcr, %0" : : "r"(saved_)); }
    std::uint64_t saved_ = 0;
#else
    FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }  // FTZ | DAZ
    ~FlushDenormals() { _mm_setcsr(saved_); }
    unsigned saved_;
#endif
    FlushDenormals(const FlushDenormals&) = delete;
    FlushDenormals& operator=(const FlushDenormals&) = delete;
};

// A program may set flush-to-zero after it made its trainer: the team then
// computes as the calling thread does, so a step run by the team and the same
// step run by the caller alone give the same bits. The inputs are subnormal,
// so flushing changes the products, and the bias (in the second thread's
// slice) moves from 0 by about 1e-37 or not at all.
TEST(Trainer, TheTeamComputesUnderTheCallersFloatingPointControl) {
    using M = tn::Model<tn::Input<16>, tn::Dense<16>>;
    M by_team(6), by_caller(6);
    tn::Trainer<M, tn::Adam, tn::MSE, 4> team(by_team, {}, 2), caller(by_caller, {}, 2);
    team.dispatch() = tn::Dispatch(tn::Dispatch::Mode::team);
    caller.dispatch() = tn::Dispatch(tn::Dispatch::Mode::caller);
    tn::Random random(7, tn::Stream::test);
    std::vector<float> x(4 * 16);
    for (float& value : x) value = random.uniform(0.5f, 1.0f) * 1e-39f;
    const std::vector<float> targets(4 * 16, 0.0f);
    const FlushDenormals flush;
    for (int step = 0; step < 3; ++step) EXPECT_EQ(team.step(x, targets), caller.step(x, targets));
    EXPECT_EQ(bit_difference(by_team.parameters(), by_caller.parameters()), "") << "parameters";
    EXPECT_EQ(bit_difference(team.optimizer_state().m.span(), caller.optimizer_state().m.span()), "") << "Adam's m";
}
#endif

// A child forked after a two-thread trainer was built has no worker threads:
// it runs every share on its calling thread, which gives the team's bits
// (the shares are fixed by the thread count), and its trainer can be
// destroyed. An alarm turns a hang into a failure.
TEST(Trainer, AForkedChildTrainsOnItsCallingThread) {
    using M = tn::Model<tn::Input<16>, tn::Dense<8, tn::Tanh>, tn::Dense<16, tn::Sigmoid>>;
    using T = tn::Trainer<M, tn::Adam, tn::MSE, 8>;
    M model(8);
    auto trainer = std::make_unique<T>(model, tn::Adam{}, 2);
    trainer->dispatch() = tn::Dispatch(tn::Dispatch::Mode::team);
    tn::Random random(9, tn::Stream::test);
    std::vector<float> x(8 * 16);
    for (float& value : x) value = random.uniform();
    trainer->step(x, x);  // the team has run

    int channel[2];
    ASSERT_EQ(::pipe(channel), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::alarm(10);
        trainer->step(x, x);
        const auto bytes = std::as_bytes(model.parameters());
        const bool written = ::write(channel[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
        trainer.reset();
        ::_exit(written ? 0 : 1);
    }
    ::close(channel[1]);
    trainer->step(x, x);
    std::vector<float> from_child(M::parameter_count);
    const std::size_t wanted = from_child.size() * sizeof(float);
    std::size_t received = 0;
    while (received < wanted) {
        const ssize_t n = ::read(channel[0], reinterpret_cast<char*>(from_child.data()) + received, wanted - received);
        if (n <= 0) break;
        received += static_cast<std::size_t>(n);
    }
    ::close(channel[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << (WIFSIGNALED(status) ? fmt::format("the child was killed by signal {}{}", WTERMSIG(status),
                                              WTERMSIG(status) == SIGALRM ? " (SIGALRM: it hung)" : "")
                                : fmt::format("the child exited with {}", WEXITSTATUS(status)));
    ASSERT_EQ(received, wanted);
    EXPECT_EQ(bit_difference(from_child, model.parameters()), "");
}

// Classification ---------------------------------------------------------------

namespace {

// A seeded synthetic 3-class problem: points in 8 dimensions scattered around
// three centres, labelled by their centre.
struct Blobs {
    std::vector<float> x;
    std::vector<std::uint8_t> labels;
};

Blobs blobs(std::size_t count, std::uint64_t seed) {
    tn::Random centre_random(0, tn::Stream::test), random(seed, tn::Stream::test);
    std::vector<float> centres(3 * 8);
    for (auto& c : centres) c = centre_random.uniform(-1.0f, 1.0f);
    Blobs data;
    for (std::size_t i = 0; i < count; ++i) {
        const auto label = static_cast<std::uint8_t>(random.below(3));
        data.labels.push_back(label);
        for (std::size_t j = 0; j < 8; ++j) data.x.push_back(centres[label * 8 + j] + 0.6f * random.normal());
    }
    return data;
}

using Classifier = tn::Model<tn::Input<8>, tn::Dense<16, tn::ReLU>, tn::Dense<3>>;
using SoftmaxClassifier = tn::Model<tn::Input<8>, tn::Dense<16, tn::ReLU>, tn::Dense<3>, tn::Softmax>;
using Shape8 = tn::Samples<tn::Shape<8>>;

}  // namespace

// Training accuracy and validation accuracy rise from chance to nearly every
// point; evaluate gives the history's last validation loss and accuracy.
TEST(Fit, ClassifierAccuracyRises) {
    const Blobs train = blobs(600, 1), test = blobs(200, 2);
    Classifier model(0);
    tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 32> trainer(
        model, tn::Adam{.learning_rate = 3e-3f});
    const auto history = tn::fit(trainer, Shape8{train.x}, tn::Labels{train.labels}, Shape8{test.x},
                                 tn::Labels{test.labels}, {.epochs = 15, .verbose = false});
    ASSERT_EQ(history.size(), 15u);
    EXPECT_LT(history.front().accuracy, 0.8);
    EXPECT_GT(history.back().accuracy, 0.9);
    EXPECT_GT(history.back().val_accuracy, 0.9);
    EXPECT_LT(history.back().loss, 0.5 * history.front().loss);
    const tn::Evaluation evaluation = tn::evaluate<tn::SparseCategoricalCrossentropy<tn::FromLogits>>(
        model, trainer.workspace(), Shape8{test.x}, tn::Labels{test.labels});
    EXPECT_DOUBLE_EQ(evaluation.loss, history.back().val_loss);
    EXPECT_DOUBLE_EQ(evaluation.accuracy, history.back().val_accuracy);
}

// A model ending in Softmax, trained with the crossentropy of its
// probabilities, is trained on the logits before the Softmax: exactly as the
// same model without the Softmax trains from logits, bit for bit (the Softmax
// has no parameters). Its predictions are the softmax of the other's.
TEST(Fit, ASoftmaxAndItsProbabilitiesTrainOnTheLogits) {
    const Blobs train = blobs(200, 3);
    SoftmaxClassifier with_softmax(4);
    Classifier without(4);
    tn::Trainer<SoftmaxClassifier, tn::Adam, tn::SparseCategoricalCrossentropy<>, 16> probabilities(with_softmax);
    tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 16> logits(without);
    const tn::FitOptions options{.epochs = 3, .batch_size = 16, .verbose = false};
    const auto a = tn::fit(probabilities, Shape8{train.x}, tn::Labels{train.labels}, Shape8{train.x},
                           tn::Labels{train.labels}, options);
    const auto b = tn::fit(logits, Shape8{train.x}, tn::Labels{train.labels}, Shape8{train.x},
                           tn::Labels{train.labels}, options);
    for (std::size_t e = 0; e < a.size(); ++e) {
        EXPECT_EQ(a[e].loss, b[e].loss) << e;
        EXPECT_EQ(a[e].val_loss, b[e].val_loss) << e;
        EXPECT_EQ(a[e].accuracy, b[e].accuracy) << e;
    }
    EXPECT_EQ(bit_difference(with_softmax.parameters(), without.parameters()), "");
    tn::Workspace<SoftmaxClassifier, 4> w1;
    tn::Workspace<Classifier, 4> w2;
    const auto p = with_softmax(w1, std::span(train.x).first(8));
    const auto z = without(w2, std::span(train.x).first(8));
    const double sum = std::exp(z[0]) + std::exp(z[1]) + std::exp(z[2]);
    EXPECT_NEAR(p[0], std::exp(z[0]) / sum, 1e-6);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-6);
}

// The same for a sigmoid and binary crossentropy of probabilities, through a
// Reshape: the last Dense trains with a linear activation, on the logits.
TEST(Fit, ASigmoidAndItsProbabilitiesTrainOnTheLogits) {
    using Sigmoids = tn::Model<tn::Input<8>, tn::Dense<6, tn::Tanh>, tn::Dense<4, tn::Sigmoid>, tn::Reshape<2, 2>>;
    using Logits = tn::Model<tn::Input<8>, tn::Dense<6, tn::Tanh>, tn::Dense<4>, tn::Reshape<2, 2>>;
    const Blobs train = blobs(64, 5);
    std::vector<float> targets;
    for (const auto label : train.labels)
        for (std::size_t k = 0; k < 4; ++k) targets.push_back(k % 3 == label ? 1.0f : 0.0f);
    const tn::Samples<tn::Shape<2, 2>> y{targets};
    Sigmoids with_sigmoid(8);
    Logits without(8);
    tn::Trainer<Sigmoids, tn::Adam, tn::BinaryCrossentropy<>, 16> probabilities(with_sigmoid);
    tn::Trainer<Logits, tn::Adam, tn::BinaryCrossentropy<tn::FromLogits>, 16> logits(without);
    const tn::FitOptions options{.epochs = 3, .batch_size = 16, .verbose = false};
    const auto a = tn::fit(probabilities, Shape8{train.x}, y, Shape8{train.x}, y, options);
    const auto b = tn::fit(logits, Shape8{train.x}, y, Shape8{train.x}, y, options);
    for (std::size_t e = 0; e < a.size(); ++e) {
        EXPECT_EQ(a[e].loss, b[e].loss) << e;
        EXPECT_EQ(a[e].val_loss, b[e].val_loss) << e;
        EXPECT_EQ(a[e].val_accuracy, b[e].val_accuracy) << e;
    }
    EXPECT_EQ(bit_difference(with_sigmoid.parameters(), without.parameters()), "");
}

// An Activation<Sigmoid> layer after a linear Dense trains as the Dense with
// the sigmoid does, bit for bit: on the logits, the layer run as Activation<Linear>.
TEST(Fit, AnActivationLayersSigmoidTrainsOnTheLogitsAsDensesDoes) {
    using Layer = tn::Model<tn::Input<8>, tn::Dense<6, tn::Tanh>, tn::Dense<4>, tn::Activation<tn::Sigmoid>,
                            tn::Reshape<2, 2>>;
    using InDense = tn::Model<tn::Input<8>, tn::Dense<6, tn::Tanh>, tn::Dense<4, tn::Sigmoid>, tn::Reshape<2, 2>>;
    static_assert(tn::LossInput<Layer, tn::BinaryCrossentropy<>>::route == tn::LossRoute::linear_last_layer);
    const Blobs train = blobs(64, 5);
    std::vector<float> targets;
    for (const auto label : train.labels)
        for (std::size_t k = 0; k < 4; ++k) targets.push_back(k % 3 == label ? 1.0f : 0.0f);
    const tn::Samples<tn::Shape<2, 2>> y{targets};
    Layer with_layer(8);
    InDense in_dense(8);
    tn::Trainer<Layer, tn::Adam, tn::BinaryCrossentropy<>, 16> a_trainer(with_layer);
    tn::Trainer<InDense, tn::Adam, tn::BinaryCrossentropy<>, 16> b_trainer(in_dense);
    const tn::FitOptions options{.epochs = 3, .batch_size = 16, .verbose = false};
    const auto a = tn::fit(a_trainer, Shape8{train.x}, y, Shape8{train.x}, y, options);
    const auto b = tn::fit(b_trainer, Shape8{train.x}, y, Shape8{train.x}, y, options);
    for (std::size_t e = 0; e < a.size(); ++e) {
        EXPECT_EQ(a[e].loss, b[e].loss) << e;
        EXPECT_EQ(a[e].val_loss, b[e].val_loss) << e;
        EXPECT_EQ(a[e].val_accuracy, b[e].val_accuracy) << e;
    }
    EXPECT_EQ(bit_difference(with_layer.parameters(), in_dense.parameters()), "");
    tn::Workspace<Layer, 8> w1;
    tn::Workspace<InDense, 8> w2;
    const auto p = with_layer(w1, std::span(train.x).first(64));
    const auto q = in_dense(w2, std::span(train.x).first(64));
    // Predictions agree to float rounding, not bit for bit: the Dense's 4
    // columns are a vector tail, computed by the plain formula, where the
    // Activation sees 32 floats in whole vectors.
    for (std::size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(p[i], q[i], 1e-6f) << i;
}

// Weights that make logits of about +-1e4: a model that ends in Softmax (or a
// sigmoid) and is given the crossentropy of its probabilities still has a
// finite loss and finite gradients, since they come from the logits.
TEST(Trainer, CrossentropyOfSaturatedProbabilitiesIsFinite) {
    SoftmaxClassifier model(1);
    std::fill_n(model.parameters().begin(), 8 * 16, 1.0f);  // every hidden unit 8 x 10 = 80
    for (std::size_t o = 0; o < 16 * 3; ++o)
        model.parameters()[SoftmaxClassifier::graph::parameter_offsets[1] + o] = (o % 3 == 0 ? 8.0f : -8.0f);
    tn::Trainer<SoftmaxClassifier, tn::SGD, tn::SparseCategoricalCrossentropy<>, 4> trainer(model);
    const std::vector<float> x(4 * 8, 10.0f);
    const std::vector<std::uint8_t> wrong(4, 2);  // class 0 wins by 2e4; the label says 2
    const double loss = trainer.compute_gradients(std::span<const float>(x), std::span<const std::uint8_t>(wrong));
    EXPECT_NEAR(loss, 2 * 80 * 16 * 8.0, 1.0);  // the distance of the logits, 2.05e4
    EXPECT_TRUE(all_finite(trainer.gradients()));
    EXPECT_GT(*std::max_element(trainer.gradients().begin(), trainer.gradients().end()), 0.1f);

    using Sigmoids = tn::Model<tn::Input<8>, tn::Dense<3, tn::Sigmoid>>;
    Sigmoids binary(1);
    std::fill_n(binary.parameters().begin(), 8 * 3, 125.0f);  // logits of 8 x 10 x 125 = 1e4
    tn::Trainer<Sigmoids, tn::SGD, tn::BinaryCrossentropy<>, 4> binary_trainer(binary);
    const std::vector<float> zeros(4 * 3, 0.0f);
    EXPECT_NEAR(binary_trainer.compute_gradients(x, zeros), 1e4, 1.0);
    EXPECT_TRUE(all_finite(binary_trainer.gradients()));
}

// Which route each pairing takes, for the layers we ship: a sigmoid in the
// last Dense (views after it) or Conv2D, a last Softmax; and what stays as
// given (MSE; a categorical crossentropy after a sigmoid, which has no logits
// for it). The denoiser trained with binary crossentropy runs its last
// convolution linearly and matches the loss of the same from logits.
TEST(LossInput, ReadsTheLogitsOfTheSquashesWeShip) {
    using Route = tn::LossRoute;
    static_assert(tn::LossInput<notebook::DenseAutoencoder, tn::MSE>::route == Route::as_given);
    static_assert(tn::LossInput<notebook::DenseAutoencoder, tn::BinaryCrossentropy<>>::route ==
                  Route::linear_last_layer);
    using Denoiser = tn::LossInput<notebook::DenoisingAutoencoder, tn::BinaryCrossentropy<>>;
    static_assert(Denoiser::route == Route::linear_last_layer && Denoiser::scores == tn::Scores::logits);
    using Probabilities = tn::LossInput<SoftmaxClassifier, tn::SparseCategoricalCrossentropy<>>;
    static_assert(Probabilities::route == Route::before_softmax && Probabilities::layers == 2);
    using Sigmoids = tn::Model<tn::Input<8>, tn::Dense<3, tn::Sigmoid>>;
    using Mismatch = tn::LossInput<Sigmoids, tn::CategoricalCrossentropy<>>;
    static_assert(Mismatch::route == Route::as_given && Mismatch::scores == tn::Scores::probabilities);

    using M = notebook::DenoisingAutoencoder;
    using Logits = tn::Model<tn::Input<28, 28, 1>, tn::Conv2D<16, 3, 2, tn::Same, tn::ReLU>,
                             tn::Conv2D<8, 3, 2, tn::Same, tn::ReLU>, tn::Conv2DTranspose<8, 3, 2, tn::Same, tn::ReLU>,
                             tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>, tn::Conv2D<1, 3, 1, tn::Same>>;
    static_assert(M::parameter_count == Logits::parameter_count);
    M with_sigmoid(3);
    Logits without(3);
    tn::Trainer<M, tn::Adam, tn::BinaryCrossentropy<>, 2> probabilities(with_sigmoid);
    tn::Trainer<Logits, tn::Adam, tn::BinaryCrossentropy<tn::FromLogits>, 2> logits(without);
    tn::Random random(12, tn::Stream::test);
    std::vector<float> x(2 * 784);
    for (float& v : x) v = random.uniform();
    for (int step = 0; step < 2; ++step) EXPECT_EQ(probabilities.step(x, x), logits.step(x, x));
    EXPECT_EQ(bit_difference(with_sigmoid.parameters(), without.parameters()), "");
}

// Labels as 32-bit integers or as bytes train the same, and one-hot targets
// with the categorical crossentropy give the sparse one's losses.
TEST(Trainer, LabelsAsBytesOrIntegersOrOneHot) {
    const Blobs data = blobs(32, 6);
    const std::vector<std::int32_t> integers(data.labels.begin(), data.labels.end());
    std::vector<float> hot(32 * 3, 0.0f);
    for (std::size_t r = 0; r < 32; ++r) hot[r * 3 + data.labels[r]] = 1.0f;
    Classifier a(2), b(2), c(2);
    tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 32> bytes(a), ints(b);
    tn::Trainer<Classifier, tn::Adam, tn::CategoricalCrossentropy<tn::FromLogits>, 32> one_hot(c);
    for (int step = 0; step < 3; ++step) {
        const double loss = bytes.step(data.x, data.labels);
        EXPECT_EQ(loss, ints.step(data.x, integers));
        EXPECT_NEAR(loss, one_hot.step(data.x, hot), 1e-6);
        EXPECT_EQ(bytes.correct_predictions(), one_hot.correct_predictions());
    }
    EXPECT_EQ(bit_difference(a.parameters(), b.parameters()), "");
}

// Two threads split a classification batch as they split any other: the
// losses and weights agree with one thread's up to rounding, and a fixed
// thread count gives the same bits every time.
TEST(Trainer, ThreadsShareAClassificationBatch) {
    const Blobs data = blobs(96, 7);
    Classifier one(3), two(3), again(3);
    using T = tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 32>;
    T single(one, {}, 1), pair(two, {}, 2), pair_again(again, {}, 2);
    pair.dispatch() = pair_again.dispatch() = tn::Dispatch(tn::Dispatch::Mode::team);
    for (std::size_t first : {0, 32, 64, 1}) {
        const std::size_t rows = first == 1 ? 5 : 32;
        const auto x = std::span<const float>(data.x).subspan(first * 8, rows * 8);
        const auto y = std::span<const std::uint8_t>(data.labels).subspan(first, rows);
        const double loss = single.step(x, y);
        EXPECT_NEAR(loss, pair.step(x, y), 1e-6);
        EXPECT_EQ(single.correct_predictions(), pair.correct_predictions());
        pair_again.step(x, y);
    }
    for (std::size_t i = 0; i < Classifier::parameter_count; ++i) {
        ASSERT_NEAR(one.parameters()[i], two.parameters()[i], 1e-5) << i;
        ASSERT_EQ(two.parameters()[i], again.parameters()[i]) << i;
    }
}

// A label that names no class is a DataError that says which row (of the
// batch, or of the labels given to fit, with their file) and changes nothing.
TEST(Trainer, ALabelOutsideTheClassesNamesItsRow) {
    const Blobs data = blobs(8, 8);
    Classifier model(5);
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 8> trainer(model, {}, 2);
    std::vector<std::uint8_t> bytes = data.labels;
    bytes[6] = 3;
    std::vector<std::int32_t> integers(data.labels.begin(), data.labels.end());
    integers[1] = -1;
    try {
        trainer.step(data.x, bytes);
        ADD_FAILURE() << "no DataError";
    } catch (const tn::DataError& e) {
        EXPECT_STREQ(e.what(),
                     "typenet: row 6 of the batch has label 3, but the model has 3 classes (labels 0 to 2)");
    }
    EXPECT_THROW(trainer.step(data.x, integers), tn::DataError);
    EXPECT_EQ(bit_difference(model.parameters(), before), "");
    EXPECT_EQ(trainer.optimizer_state().step, 0);

    bytes[6] = 0;
    bytes[5] = 255;
    try {
        tn::fit(trainer, Shape8{data.x}, tn::Labels{data.labels}, Shape8{data.x},
                tn::Labels{bytes, "t10k-labels-idx1-ubyte.gz"}, {.epochs = 1, .batch_size = 8, .verbose = false});
        ADD_FAILURE() << "no DataError";
    } catch (const tn::DataError& e) {
        EXPECT_STREQ(e.what(), "t10k-labels-idx1-ubyte.gz: row 5 of the validation labels has label 255, but the "
                               "model has 3 classes (labels 0 to 2)");
    }
    EXPECT_EQ(bit_difference(model.parameters(), before), "") << "fit checks every label before it trains";
    EXPECT_THROW(tn::evaluate<tn::SparseCategoricalCrossentropy<tn::FromLogits>>(model, trainer.workspace(),
                                                                                 Shape8{data.x}, tn::Labels{bytes}),
                 tn::DataError);
}

// fit continued from initial_epoch on the same trainer gives what an unbroken
// run gives, bit for bit, accuracy included.
TEST(Fit, AClassifierResumesExactly) {
    const Blobs data = blobs(100, 9);
    Classifier straight(6), resumed(6);
    using T = tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 16>;
    T a(straight, {}, 2), b(resumed, {}, 2);
    const auto whole = tn::fit(a, Shape8{data.x}, tn::Labels{data.labels}, {}, {},
                               {.epochs = 4, .batch_size = 16, .seed = 3, .verbose = false});
    tn::fit(b, Shape8{data.x}, tn::Labels{data.labels}, {}, {},
            {.epochs = 2, .batch_size = 16, .seed = 3, .verbose = false});
    const auto rest = tn::fit(b, Shape8{data.x}, tn::Labels{data.labels}, {}, {},
                              {.epochs = 4, .initial_epoch = 2, .batch_size = 16, .seed = 3, .verbose = false});
    EXPECT_EQ(bit_difference(straight.parameters(), resumed.parameters()), "");
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest.back().loss, whole.back().loss);
    EXPECT_EQ(rest.back().accuracy, whole.back().accuracy);
    EXPECT_TRUE(std::isnan(rest.back().val_loss) && std::isnan(rest.back().val_accuracy));
}

// A loss without an accuracy (the autoencoders' MSE) keeps fit's progress
// line as it was, and its history's accuracies are NaN; a classifier's line
// has both accuracies, as Keras prints them.
TEST(Fit, ProgressLineHasAccuracyOnlyForALossWithOne) {
    const Blobs data = blobs(40, 10);
    using Reconstruct = tn::Model<tn::Input<8>, tn::Dense<4, tn::Tanh>, tn::Dense<8>>;
    Reconstruct autoencoder(1);
    tn::Trainer<Reconstruct, tn::Adam, tn::MSE, 16> mse(autoencoder);
    ::testing::internal::CaptureStdout();
    const auto history = tn::fit(mse, Shape8{data.x}, Shape8{data.x}, Shape8{data.x}, Shape8{data.x},
                                 {.epochs = 1, .batch_size = 16});
    const std::string line = ::testing::internal::GetCapturedStdout();
    EXPECT_TRUE(std::regex_match(line, std::regex(R"(Epoch 1/1 - 3/3 steps - [0-9.]+s - loss: [0-9]\.[0-9]{5} - )"
                                                  R"(val_loss: [0-9]\.[0-9]{5}\n)")))
        << line;
    EXPECT_TRUE(std::isnan(history[0].accuracy) && std::isnan(history[0].val_accuracy));

    Classifier classifier(1);
    tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 16> trainer(classifier);
    ::testing::internal::CaptureStdout();
    tn::fit(trainer, Shape8{data.x}, tn::Labels{data.labels}, Shape8{data.x}, tn::Labels{data.labels},
            {.epochs = 1, .batch_size = 16});
    const std::string classifier_line = ::testing::internal::GetCapturedStdout();
    EXPECT_TRUE(std::regex_match(classifier_line,
                                 std::regex(R"(Epoch 1/1 - 3/3 steps - [0-9.]+s - loss: [0-9]\.[0-9]{5} - accuracy: )"
                                            R"([01]\.[0-9]{4} - val_loss: [0-9]\.[0-9]{5} - val_accuracy: [01]\.[0-9]{4}\n)")))
        << classifier_line;
}

// Without metrics, as Keras compiles the blog's autoencoder: a binary
// crossentropy over pixels reports its loss alone.
TEST(Fit, AccuracyCanBeLeftOut) {
    const Blobs data = blobs(40, 10);
    std::vector<float> pixels(data.x.size());
    std::transform(data.x.begin(), data.x.end(), pixels.begin(), [](float v) { return 0.5f + 0.1f * std::tanh(v); });
    using Reconstruct = tn::Model<tn::Input<8>, tn::Dense<4, tn::Tanh>, tn::Dense<8, tn::Sigmoid>>;
    Reconstruct autoencoder(1);
    tn::Trainer<Reconstruct, tn::Adam, tn::BinaryCrossentropy<>, 16> trainer(autoencoder);
    ::testing::internal::CaptureStdout();
    const auto history = tn::fit(trainer, Shape8{pixels}, Shape8{pixels}, Shape8{pixels}, Shape8{pixels},
                                 {.epochs = 1, .batch_size = 16, .accuracy = false});
    const std::string line = ::testing::internal::GetCapturedStdout();
    EXPECT_TRUE(std::regex_match(line, std::regex(R"(Epoch 1/1 - 3/3 steps - [0-9.]+s - loss: [0-9]\.[0-9]{5} - )"
                                                  R"(val_loss: [0-9]\.[0-9]{5}\n)")))
        << line;
    EXPECT_TRUE(std::isnan(history[0].accuracy) && std::isnan(history[0].val_accuracy));
}
