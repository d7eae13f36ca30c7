// typenet_bench: the library's kernels, layers and models on this machine,
// each reported in GFLOP/s and as a share of one core's FMA peak ("peak%").
//
//   typenet_bench --benchmark_counters_tabular=true [--benchmark_filter=REGEX]
//
// Exits with 1 when a result claims more than the peak, measured before the
// rows and again after them (the larger of the two).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "benchmarks.hpp"
#include "peak_fma.hpp"

namespace {

// Hands every result to the reporter --benchmark_format chose, and keeps the
// ones above 100% of peak: more FLOP/s than the cores can do means a wrong
// FLOP count, work the compiler deleted, or a peak measurement disturbed.
// Which: the peak is measured again after the rows, and only the rows above
// the larger of the two measurements are refused.
class PeakCheck : public benchmark::BenchmarkReporter {
public:
    explicit PeakCheck(benchmark::BenchmarkReporter* display) : display_(display) {}

    bool ReportContext(const Context& context) override { return display_->ReportContext(context); }

    void ReportRuns(const std::vector<Run>& runs) override {
        display_->ReportRuns(runs);
        for (const Run& run : runs) {
            const auto peak = run.counters.find("peak%");
            if (run.run_type == Run::RT_Iteration && !run.error_occurred && peak != run.counters.end() &&
                peak->second.value > 100.0)
                above_peak_.push_back({run.benchmark_name(), peak->second.value});
        }
    }

    void Finalize() override { display_->Finalize(); }

    // The rows above peak_now, the peak measured after them, given as a share
    // of the peak their peak% was computed against; says which on stderr, and
    // returns whether there were any.
    bool refuse_above(double peak_now_share) const {
        bool refused = false;
        for (const auto& [name, share] : above_peak_) {
            if (share <= peak_now_share) continue;
            fmt::print(stderr, "typenet_bench: {} at {:.1f}% of peak: check its FLOP count and that its work is not "
                               "optimized away\n", name, share);
            refused = true;
        }
        return refused;
    }

private:
    struct Row {
        std::string name;
        double share;  // peak%
    };
    benchmark::BenchmarkReporter* display_;
    std::vector<Row> above_peak_;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    // The peak is measured once, here, before anything else runs: every
    // benchmark computes its peak% as it finishes, so the denominator must
    // already be known, and it must be this core's at its present clock
    // (turbo, a hypervisor's share) with the code this build generates, which
    // no data sheet knows.
    bench::peak_flops_per_second = bench::measure_peak_flops_per_second<bench::Arch>();
    benchmark::AddCustomContext("peak (one core)",
                                fmt::format("{:.1f} GFLOP/s of {} FMAs in {} chains",
                                            bench::peak_flops_per_second * 1e-9, bench::Arch::name(),
                                            bench::fma_chains));

    bench::register_kernel_benchmarks();
    bench::register_model_benchmarks();
    bench::register_activation_benchmarks();

    PeakCheck reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    const double peak_after = bench::measure_peak_flops_per_second<bench::Arch>();
    fmt::print("peak (one core) measured again after the rows: {:.1f} GFLOP/s\n", peak_after * 1e-9);
    return reporter.refuse_above(100.0 * std::max(1.0, peak_after / bench::peak_flops_per_second)) ? 1 : 0;
}
