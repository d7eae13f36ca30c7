// A training step and an inference call allocate nothing: every path to the
// heap (operator new goes through malloc) is counted while they run.
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

#include "notebook_models.hpp"

// Sanitizers replace the allocator themselves; there the count cannot be taken.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TYPENET_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TYPENET_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef TYPENET_COUNT_ALLOCATIONS
#define TYPENET_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<long> allocations{0};
std::atomic<long> allocated_bytes{0};
}

#if TYPENET_COUNT_ALLOCATIONS
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}


extern "C" {
void* malloc(std::size_t n) {
    ++allocations;
    allocated_bytes += static_cast<long>(n);
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
    ++allocations;
    allocated_bytes += static_cast<long>(count * n);
    return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
    ++allocations;
    allocated_bytes += static_cast<long>(n);
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
    ++allocations;
    allocated_bytes += static_cast<long>(n);
    return __libc_memalign(alignment, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
    ++allocations;
    allocated_bytes += static_cast<long>(n);
    return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    ++allocations;
    allocated_bytes += static_cast<long>(n);
    *out = __libc_memalign(alignment, n);
    return *out ? 0 : ENOMEM;
}
}
#endif

namespace tn = typenet;

// Called through volatile pointers so that the compiler cannot elide the pairs.
TEST(Allocations, CounterSeesTheAllocator) {
    if (!TYPENET_COUNT_ALLOCATIONS) GTEST_SKIP() << "a sanitizer owns the allocator";
    void* (*volatile allocate)(std::size_t) = ::operator new;
    void* (*volatile allocate_aligned)(std::size_t, std::size_t) = std::aligned_alloc;
    int (*volatile allocate_posix)(void**, std::size_t, std::size_t) = posix_memalign;
    const long before = allocations;
    void* a = allocate(100);
    void* b = allocate_aligned(64, 256);
    void* c = nullptr;
    ASSERT_EQ(allocate_posix(&c, 64, 256), 0);
    ::operator delete(a);
    std::free(b);
    std::free(c);
    EXPECT_EQ(allocations - before, 3);
}

TEST(Allocations, NoneInTrainingStepsOrInference) {
    if (!TYPENET_COUNT_ALLOCATIONS) GTEST_SKIP() << "a sanitizer owns the allocator";
    using M = notebook::DenseAutoencoder;
    M model(0);
    tn::Trainer<M, tn::Adam, tn::MSE, 32> trainer(model);
    tn::Workspace<M, 1> single;
    std::vector<float> x(32 * 784, 0.5f);
    const std::span<const float> one(x.data(), 784);

    const long before = allocations;
    for (int step = 0; step < 50; ++step) {
        trainer.step(x, x);
        trainer.step(std::span(x).first(7 * 784), std::span(x).first(7 * 784));  // a partial batch
        model(single, one);
        model.part<notebook::DenseEncoder>()(single, one);
    }
    EXPECT_EQ(allocations - before, 0);
}

// The same for a graph: the U-Net's skips (their gradients added at the
// Tags) on two threads, and inference through the workspace planned for it.
TEST(Allocations, NoneInGraphStepsOrInference) {
    if (!TYPENET_COUNT_ALLOCATIONS) GTEST_SKIP() << "a sanitizer owns the allocator";
    using M = notebook::UNetDenoiser;
    M model(0);
    tn::Trainer<M, tn::Adam, tn::MSE, 8> trainer(model, {}, 2);
    tn::InferenceWorkspace<M, 1> single;
    std::vector<float> x(8 * 784, 0.5f);
    const std::span<const float> one(x.data(), 784);

    const long before = allocations;
    for (int step = 0; step < 5; ++step) {
        trainer.step(x, x);
        trainer.step(std::span(x).first(3 * 784), std::span(x).first(3 * 784));
        model(single, one);
    }
    EXPECT_EQ(allocations - before, 0);
}

// The same for a classifier that ends in Softmax, trained on byte labels by
// two threads: its labels are copied into buffers the trainer made beforehand.
TEST(Allocations, NoneInClassificationSteps) {
    if (!TYPENET_COUNT_ALLOCATIONS) GTEST_SKIP() << "a sanitizer owns the allocator";
    using M = tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<32, tn::ReLU>, tn::Dense<10>, tn::Softmax>;
    M model(0);
    tn::Trainer<M, tn::Adam, tn::SparseCategoricalCrossentropy<>, 32> trainer(model, {}, 2);
    std::vector<float> x(32 * 784, 0.5f);
    std::vector<std::uint8_t> labels(32);
    for (std::size_t r = 0; r < labels.size(); ++r) labels[r] = static_cast<std::uint8_t>(r % 10);

    const long before = allocations;
    for (int step = 0; step < 50; ++step) {
        trainer.step(x, labels);
        trainer.step(std::span(x).first(7 * 784), std::span(labels).first(7));
    }
    EXPECT_EQ(allocations - before, 0);
}

// The memory constants an app can static_assert on are what the objects take.
TEST(Allocations, WorkspacesAndTrainersTakeTheBytesTheirConstantsSay) {
    if (!TYPENET_COUNT_ALLOCATIONS) GTEST_SKIP() << "a sanitizer owns the allocator";
    using M = notebook::DenoisingAutoencoder;
    const auto bytes_made_by = [](auto make) {
        const long before = allocated_bytes;
        make();
        return static_cast<std::size_t>(allocated_bytes - before);
    };
    EXPECT_EQ(bytes_made_by([] { M model; }), M::parameter_bytes);
    EXPECT_EQ(bytes_made_by([] { tn::Workspace<M, 32> workspace; }), (tn::Workspace<M, 32>::bytes));
    EXPECT_EQ(bytes_made_by([] { tn::InferenceWorkspace<M, 1> workspace; }), (tn::InferenceWorkspace<M, 1>::bytes));
    static_assert(sizeof(tn::InlineWorkspace<M, 1>) == tn::InlineWorkspace<M, 1>::bytes);

    M model;
    using T = tn::Trainer<M, tn::Adam, tn::MSE, 32>;
    const std::size_t trainer_bytes = bytes_made_by([&] { T trainer(model, {}, 2); });
    // Beside the shares and the state: the list of shares and the threads' own bookkeeping.
    EXPECT_GE(trainer_bytes, 2 * T::bytes_per_thread + T::optimizer_state_bytes);
    EXPECT_LE(trainer_bytes, 2 * T::bytes_per_thread + T::optimizer_state_bytes + 4096);
}
