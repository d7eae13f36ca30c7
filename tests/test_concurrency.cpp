// Threads. One trained model, const, serves inference from several threads at
// once, each with a workspace of its own (the model holds only parameters):
// every thread's outputs equal, bit for bit, those of the same inputs run on
// one thread. Training on two threads is deterministic: runs from the same
// seed give the same bits, also when two of them run at the same time.
// Under ThreadSanitizer (clang, -DTYPENET_SANITIZE=thread) these tests also
// check that the threads share nothing that one of them writes.
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <latch>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "notebook_models.hpp"
#include "support/idx_files.hpp"
#include "typenet/typenet.hpp"

namespace {

namespace tn = typenet;

// Synthetic Fashion-MNIST images (bars at a slant per class, over noise), as
// floats in [0, 1]: the same on every machine, installed data set or not.
std::vector<float> images(std::size_t count, std::uint32_t seed) {
    const tn::testing::FashionMnist data = tn::testing::synthetic_fashion_mnist(count, 0, seed);
    std::vector<float> pixels(data.train_images.size());
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(data.train_images[i]) / 255.0f;
    return pixels;
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

// The first index at which two runs' floats differ, for the failure message.
std::size_t first_difference(std::span<const float> a, std::span<const float> b) {
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && std::memcmp(&a[i], &b[i], sizeof(float)) == 0) ++i;
    return i;
}

// A model after some Adam steps, so that its weights are not those of the
// initializer (some ReLUs off, some on), made once and never changed again.
template <class M>
const M& trained_model() {
    static const M model = [] {
        M trained(3);
        tn::Trainer<M, tn::Adam, tn::MSE, 16> trainer(trained);
        const std::vector<float> x = images(64, 11);
        for (std::size_t step = 0; step < 12; ++step) {
            const auto batch = std::span(x).subspan(step % 4 * 16 * M::input_shape::size, 16 * M::input_shape::size);
            trainer.step(batch, batch);
        }
        return trained;
    }();
    return model;
}

constexpr std::size_t input_count = 64;  // a multiple of the batch of 8
constexpr std::size_t rounds = 4;

// How a thread runs the model: the whole model, or its two parts in turn
// (encoder, then decoder on the codes it left in the workspace), which the
// library promises gives the same bits.
enum class Route { whole, parts };

// Runs every input once per round, `Capacity` rows at a time, starting at
// batch `first_batch` and wrapping around (so that threads started at
// different batches run different inputs at the same moment); returns the
// outputs in input order, round after round.
template <std::size_t Capacity, class M>
std::vector<float> run_rounds(const M& model, tn::Workspace<M, Capacity>& workspace, std::span<const float> inputs,
                              Route route, std::size_t first_batch) {
    constexpr std::size_t in = M::input_shape::size, out = M::output_shape::size;
    const std::size_t batches = input_count / Capacity;
    std::vector<float> outputs(rounds * input_count * out);
    for (std::size_t round = 0; round < rounds; ++round) {
        for (std::size_t b = 0; b < batches; ++b) {
            const std::size_t batch = (first_batch + b) % batches;
            const auto x = inputs.subspan(batch * Capacity * in, Capacity * in);
            const std::span<const float> y =
                route == Route::whole ? model(workspace, x)
                                      : model.template part<1>()(workspace, model.template part<0>()(workspace, x));
            std::memcpy(outputs.data() + (round * input_count + batch * Capacity) * out, y.data(), y.size_bytes());
        }
    }
    return outputs;
}

template <class M>
class Concurrency : public ::testing::Test {};
using NotebookModels = ::testing::Types<notebook::DenseAutoencoder, notebook::DenoisingAutoencoder>;
TYPED_TEST_SUITE(Concurrency, NotebookModels);

TYPED_TEST(Concurrency, InferenceFromFiveThreadsMatchesOneThreadBitForBit) {
    using M = TypeParam;
    const M& model = trained_model<M>();
    const std::vector<float> inputs = images(input_count, 29);

    // The references: everything on this thread, first one row at a time, then eight.
    tn::Workspace<M, 1> single;
    tn::Workspace<M, 8> batched;
    const std::vector<float> reference_1 = run_rounds(model, single, inputs, Route::whole, 0);
    const std::vector<float> reference_8 = run_rounds(model, batched, inputs, Route::whole, 0);

    // Four threads with a workspace of one row, half of them through the parts, one with eight rows.
    constexpr std::size_t single_row_threads = 4;
    std::vector<std::vector<float>> outputs(single_row_threads + 1);
    std::latch start(single_row_threads + 1);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < single_row_threads; ++t) {
        threads.emplace_back([&, t] {
            tn::Workspace<M, 1> workspace;
            start.arrive_and_wait();
            outputs[t] = run_rounds(model, workspace, inputs, t % 2 == 0 ? Route::whole : Route::parts,
                                    t * input_count / single_row_threads);
        });
    }
    threads.emplace_back([&] {
        tn::Workspace<M, 8> workspace;
        start.arrive_and_wait();
        outputs[single_row_threads] = run_rounds(model, workspace, inputs, Route::whole, 3);
    });
    for (std::thread& thread : threads) thread.join();

    for (std::size_t t = 0; t <= single_row_threads; ++t) {
        const std::vector<float>& reference = t < single_row_threads ? reference_1 : reference_8;
        const std::size_t at = first_difference(outputs[t], reference);
        EXPECT_TRUE(same_bits(outputs[t], reference))
            << "thread " << t << " differs from the single-threaded run at output float " << at << " (input "
            << at / M::output_shape::size % input_count << ", round " << at / M::output_shape::size / input_count
            << ")";
    }
}

// Everything a training run leaves behind, to be compared bit for bit.
struct TrainingResult {
    std::vector<float> parameters, adam_m, adam_v;
    std::vector<double> losses;
    std::int64_t steps = 0;

    bool operator==(const TrainingResult& other) const {
        return same_bits(parameters, other.parameters) && same_bits(adam_m, other.adam_m) &&
               same_bits(adam_v, other.adam_v) && losses == other.losses && steps == other.steps;
    }
};

// Adam on two threads over full batches of 32 and a last one of 19 rows,
// which the two threads split unevenly.
template <class M>
TrainingResult train_on_two_threads(std::span<const float> x) {
    constexpr std::size_t size = M::input_shape::size;
    M model(5);
    tn::Trainer<M, tn::Adam, tn::MSE, 32> trainer(model, {}, 2);
    TrainingResult result;
    for (std::size_t step = 0; step < 4; ++step) {
        const std::size_t rows = step < 3 ? 32 : 19;
        const auto batch = x.subspan(step * 32 * size, rows * size);
        result.losses.push_back(trainer.step(batch, batch));
    }
    const auto& state = trainer.optimizer_state();
    result.parameters.assign(model.parameters().begin(), model.parameters().end());
    result.adam_m.assign(state.m.span().begin(), state.m.span().end());
    result.adam_v.assign(state.v.span().begin(), state.v.span().end());
    result.steps = state.step;
    return result;
}

TYPED_TEST(Concurrency, TrainingOnTwoThreadsIsDeterministic) {
    using M = TypeParam;
    const std::vector<float> x = images(3 * 32 + 19, 41);
    const TrainingResult first = train_on_two_threads<M>(x);
    ASSERT_EQ(first.steps, 4);
    EXPECT_FALSE(same_bits(first.parameters, M(5).parameters())) << "training changed nothing";

    // Again, and twice at the same time: two trainers, two models, four threads.
    TrainingResult second, third;
    std::thread other([&] { third = train_on_two_threads<M>(x); });
    second = train_on_two_threads<M>(x);
    other.join();
    EXPECT_TRUE(second == first) << "a second run gave other bits";
    EXPECT_TRUE(third == first) << "a run beside another gave other bits";
}

}  // namespace

namespace {

// A job that throws, on the caller's thread or another, throws from run() once
// every thread is done with it, and the team goes on working.
TEST(Workers, AJobThatThrowsOnAnyThreadRethrowsOnTheCaller) {
    tn::Workers workers(2);
    for (const std::size_t thrower : {0, 1}) {
        auto job = [&](std::size_t index) {
            if (index == thrower) throw std::runtime_error("share " + std::to_string(index));
        };
        try {
            workers.run(job);
            FAIL() << "no exception from share " << thrower;
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string(e.what()), "share " + std::to_string(thrower));
        }
    }
    std::atomic<int> calls{0};
    auto count = [&](std::size_t) { ++calls; };
    workers.run(count);
    EXPECT_EQ(calls.load(), 2);
}

// A thread that cannot start once `startable` have, as std::thread cannot
// when the system has no more (a large team under ulimit -v).
class ThreadsRunOut {
public:
    static inline int startable = 0;

    template <class Body>
    explicit ThreadsRunOut(Body&& body) {
        if (startable-- <= 0) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
        thread_ = std::thread(std::forward<Body>(body));
    }
    void join() { thread_.join(); }

private:
    std::thread thread_;
};

// A team whose third thread cannot start stops and joins the two that did,
// then throws saying so, instead of ending the process (a joinable
// std::thread destroyed calls std::terminate).
TEST(Workers, AThreadThatCannotStartFailsTheTeamCleanly) {
    ThreadsRunOut::startable = 2;
    try {
        tn::BasicWorkers<ThreadsRunOut> workers(5);
        FAIL() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::resource_unavailable_try_again);
        EXPECT_NE(std::string(e.what()).find("typenet: could start only 2 of the 4 threads a team of 5 needs"),
                  std::string::npos)
            << e.what();
    }
}

// A batch's rows come from the caller's code, run on every training thread: if
// it throws, the step throws it, whoever runs the shares, and the trainer goes on.
TEST(Trainer, ARowSourceThatThrowsFailsOnlyThatStep) {
    using M = notebook::DenseAutoencoder;
    const std::vector<float> x = images(32, 43);
    for (const auto mode : {tn::Dispatch::Mode::team, tn::Dispatch::Mode::caller}) {
        M model(7);
        tn::Trainer<M, tn::Adam, tn::MSE, 32> trainer(model, {}, 2);
        trainer.dispatch() = tn::Dispatch(mode);
        auto broken = [&](std::size_t r) -> tn::BatchRow {
            if (r == 20) throw std::runtime_error("row 20 is missing");
            return {x.data() + r * 784, x.data() + r * 784};
        };
        EXPECT_THROW(trainer.step(32, broken), std::runtime_error);
        EXPECT_TRUE(std::isfinite(trainer.step(x, x)));
    }
}

}  // namespace
