#pragma once
// A fixed team of threads for the data-parallel parts of a training step.
// A step is short (tens of microseconds), so the team spins briefly before
// it sleeps, and dispatching a job allocates nothing.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>  // _mm_getcsr, _mm_setcsr
#elif !defined(__aarch64__)
#include <cfenv>
#endif
#if __has_include(<pthread.h>)
#include <pthread.h>  // pthread_atfork
#endif

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

// How many fork()s made this process, counting from the one that first made a
// team: the child of a fork holds only the thread that called it, so a team
// made before has no threads there. pthread_atfork (registered once, with the
// first team) counts every child.
inline std::atomic<std::uint64_t> forks{0};

inline std::uint64_t fork_count() {
#if __has_include(<pthread.h>)
    [[maybe_unused]] static const int registered =
        ::pthread_atfork(nullptr, nullptr, [] { forks.fetch_add(1, std::memory_order_relaxed); });
#endif
    return forks.load(std::memory_order_relaxed);
}

}  // namespace detail

// How a thread's floating-point arithmetic computes, without the flags it has
// raised: on x86 MXCSR's control bits (flush-to-zero, denormals-are-zero,
// rounding, exception masks), on AArch64 FPCR, elsewhere the rounding mode.
// A program may change its own after it made a trainer (flush-to-zero for
// speed, say); each job carries its caller's to the team, so that the team
// computes as the caller would alone.
class FloatingPointControl {
public:
    static FloatingPointControl of_this_thread() {
#if defined(__SSE__) || defined(_M_X64)
        return FloatingPointControl(_mm_getcsr() & ~mxcsr_flags);
#elif defined(__aarch64__)
        std::uint64_t fpcr = 0;
        asm volatile("mrs %0, fpcr" : "=r"(fpcr));
        return FloatingPointControl(fpcr);
#else
        return FloatingPointControl(static_cast<std::uint64_t>(std::fegetround()));
#endif
    }

    void make_current() const {
#if defined(__SSE__) || defined(_M_X64)
        _mm_setcsr(static_cast<unsigned>(bits_) | (_mm_getcsr() & mxcsr_flags));
#elif defined(__aarch64__)
        asm volatile("msr fpcr, %0" : : "r"(bits_));
#else
        std::fesetround(static_cast<int>(bits_));
#endif
    }

    bool operator==(const FloatingPointControl&) const = default;

private:
    explicit FloatingPointControl(std::uint64_t bits) : bits_(bits) {}
#if defined(__SSE__) || defined(_M_X64)
    static constexpr unsigned mxcsr_flags = 0x3f;  // what arithmetic raised (inexact, overflow, ...)
#endif
    std::uint64_t bits_;
};

// Thread is std::thread (see Workers below); the tests give a stand-in that
// fails to start, as std::thread does when the system has no more threads.
template <class Thread>
class BasicWorkers {
public:
    // size threads in all, the caller of run() counted as thread 0.
    // When a thread cannot start (std::thread throws std::system_error), those
    // that did are stopped and joined, since destroyed joinable they would end
    // the process, and the error goes on saying how many could start.
    explicit BasicWorkers(std::size_t size) : size_(size == 0 ? 1 : size) {
        threads_.reserve(size_ - 1);
        try {
            for (std::size_t index = 1; index < size_; ++index)
                threads_.emplace_back([this, index] { serve(index); });
        } catch (const std::system_error& error) {
            stop();
            throw std::system_error(error.code(), "typenet: could start only " + std::to_string(threads_.size()) +
                                                      " of the " + std::to_string(size_ - 1) +
                                                      " threads a team of " + std::to_string(size_) + " needs");
        }
    }
    BasicWorkers(const BasicWorkers&) = delete;
    BasicWorkers& operator=(const BasicWorkers&) = delete;
    ~BasicWorkers() { stop(); }

    std::size_t size() const { return size_; }

    // Calls job(index) for every index < size(), in parallel; returns when all
    // are done. With alone, the calling thread makes the same calls itself, in
    // order, as it also does in a fork's child, where the team has no threads.
    template <class Job>
    void run(Job& job, bool alone = false) {
        if (size_ == 1 || alone || forked()) {
            for (std::size_t index = 0; index < size_; ++index) job(index);
            return;
        }
        job_ = &job;
        call_ = [](void* context, std::size_t index) { (*static_cast<Job*>(context))(index); };
        control_ = FloatingPointControl::of_this_thread();
        pending_.store(size_ - 1, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        // Whichever thread's call throws, the others finish with the job
        // (which lives in the caller's frame) before the first exception goes on.
        try {
            job(std::size_t{0});
        } catch (...) {
            keep(std::current_exception());
        }
        wait_until(pending_, [](std::size_t pending) { return pending == 0; });
        if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    }

private:
    // Spin for a while (a step's other half is usually microseconds away), then
    // sleep on the atomic. The spin yields now and then, so that on a busy
    // machine, where the thread we wait for may share our core, it gets to run.
    // The sleep is on the value just seen to be not done: if it changed in
    // between, wait returns at once, so no wakeup is lost.
    template <class T, class Done>
    static void wait_until(const std::atomic<T>& atomic, Done done) {
        for (int spin = 0; spin < 200000; ++spin) {
            if (done(atomic.load(std::memory_order_acquire))) return;
            if (spin % 256 == 255) std::this_thread::yield();
        }
        for (T seen = atomic.load(std::memory_order_acquire); !done(seen); seen = atomic.load(std::memory_order_acquire))
            atomic.wait(seen, std::memory_order_acquire);
    }

    void serve(std::size_t index) {
        std::uint64_t seen = 0;
        for (;;) {
            wait_until(generation_, [&](std::uint64_t generation) { return generation != seen; });
            seen = generation_.load(std::memory_order_acquire);
            if (stopping_) return;
            if (FloatingPointControl::of_this_thread() != control_) control_.make_current();
            try {
                call_(job_, index);
            } catch (...) {
                keep(std::current_exception());
            }
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
        }
    }

    bool forked() const { return detail::fork_count() != born_after_forks_; }

    void stop() {
        if (forked()) {
            // The threads are the parent's: joining them would wait forever,
            // and a handle to a thread of another process may be neither
            // joined nor detached (ThreadSanitizer stops at that). So the
            // handles are kept, never to be destroyed, where nothing uses them.
            static std::mutex orphans_mutex;
            static auto* const orphans = new std::vector<Thread>;
            const std::lock_guard lock(orphans_mutex);
            for (auto& thread : threads_) orphans->push_back(std::move(thread));
            return;
        }
        stopping_ = true;
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        for (auto& thread : threads_) thread.join();
    }

    void keep(std::exception_ptr failure) {
        const std::lock_guard lock(failure_mutex_);
        if (!failure_) failure_ = failure;
    }

    std::size_t size_;
    std::uint64_t born_after_forks_ = detail::fork_count();
    std::vector<Thread> threads_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<std::size_t> pending_{0};
    std::atomic<bool> stopping_{false};
    void* job_ = nullptr;
    void (*call_)(void*, std::size_t) = nullptr;
    FloatingPointControl control_ = FloatingPointControl::of_this_thread();  // the current job's caller's
    std::mutex failure_mutex_;
    std::exception_ptr failure_;  // the first exception of the current job
};

using Workers = BasicWorkers<std::thread>;

}  // namespace typenet
