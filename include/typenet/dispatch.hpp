#pragma once
// Who runs a training step's thread shares: the team of threads, or the
// calling thread alone, one share after another. The shares are fixed by the
// thread count, and so are the results; the choice changes only the time.
// (The team computes under the caller's floating-point control state, taken
// at every job: see workers.hpp.)
//
// Why choose: on a machine whose cores exchange memory slowly (a virtual
// machine whose two virtual CPUs land on distant physical cores, which this
// project's own VM does for minutes at a time), a short step run by the team
// can take longer than the same shares run by one core. So, by default, every
// `period` steps both ways are timed for `probe` steps each, and the faster
// is kept until the next probe.
#include <algorithm>
#include <array>
#include <cstddef>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

class Dispatch {
public:
    enum class Mode {
        measured,  // time both now and then, keep the faster (the default)
        team,      // always the team
        caller,    // always the calling thread
    };

    explicit Dispatch(Mode mode = Mode::measured) : mode_(mode) {}

    Mode mode() const { return mode_; }

    // Whether the next step runs on the calling thread alone.
    bool alone() const {
        switch (mode_) {
            case Mode::team: return false;
            case Mode::caller: return true;
            case Mode::measured: break;
        }
        const std::size_t phase = step_ % period;
        if (phase < probe) return false;
        if (phase < 2 * probe) return true;
        return alone_;
    }

    // The wall time of the step just run, as alone() said.
    void record(double seconds) {
        if (mode_ != Mode::measured) return;
        const std::size_t phase = step_ % period;
        if (phase < probe) team_[phase] = seconds;
        else if (phase < 2 * probe) caller_[phase - probe] = seconds;
        if (phase == 2 * probe - 1) alone_ = median(caller_) < median(team_);
        ++step_;
    }

private:
    // A probe of the slower way costs its extra time for `probe` steps: at four in
    // 1024, under 1% of the time when one way is twice as fast as the other.
    static constexpr std::size_t period = 1024, probe = 4;

    static double median(std::array<double, probe> times) {
        std::nth_element(times.begin(), times.begin() + probe / 2, times.end());
        return times[probe / 2];
    }

    Mode mode_;
    std::size_t step_ = 0;
    bool alone_ = false;
    std::array<double, probe> team_{}, caller_{};
};

}  // namespace typenet
