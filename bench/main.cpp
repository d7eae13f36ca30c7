// typenet_bench: the library's kernels, layers and models on this machine,
// each reported in GFLOP/s and as a share of one core's FMA peak ("peak%").
//
//   typenet_bench --benchmark_counters_tabular=true [--benchmark_filter=REGEX]
//
// Exits with 1 when a result claims more than the peak.
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
                impossible_.push_back(fmt::format("{} at {:.1f}% of peak", run.benchmark_name(), peak->second.value));
        }
    }

    void Finalize() override {
        display_->Finalize();
        for (const std::string& result : impossible_)
            fmt::print(stderr, "typenet_bench: {}: check its FLOP count and that its work is not optimized away\n",
                       result);
    }

    bool failed() const { return !impossible_.empty(); }

private:
    benchmark::BenchmarkReporter* display_;
    std::vector<std::string> impossible_;
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
    return reporter.failed() ? 1 : 0;
}
