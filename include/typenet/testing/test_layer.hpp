#pragma once
// test_layer: checks one layer, bound to an input shape, against the layer
// contract and against central differences, in the spirit of dlib's
// test_layer. For your own layers as much as for ours:
//
//   const auto report = tn::testing::test_layer<MyLayer, tn::Shape<5, 4, 3>>();
//   EXPECT_TRUE(report.passed()) << report.summary();   // or assert(report.passed())
//
// The loss is a fixed random projection of the output, L = sum r_i y_i, so
// dL/dy = r reaches every output. Backward must write (not add to) dx and the
// parameter gradients: both are filled with NaN before it runs, so a backward
// that adds, or skips an element, leaves NaN and fails. Forward must write
// every output: y is filled with NaN before it runs too. Forward runs with
// exactly forward_scratch_floats of scratch (layer.hpp), as an inference
// workspace gives it, and must not write past them.
//
// Each derivative is retried at four step sizes before it fails. Where the
// layer has a kink (a ReLU's input within a step of 0, a max whose window
// holds the max twice) the derivative does not exist: the one-sided
// differences disagree, and the point is counted as a kink rather than a
// failure. A smooth but wrong derivative cannot hide so (its one-sided
// differences agree with each other). At most kinks backward gives one of
// the one-sided derivatives (a ReLU's at 0 is its left one; a max sends the
// gradient to one of its tied inputs); kinks where it gives neither (two
// kinks within a step, or a forward that jumps) could hide a mistake, and a
// report with more than 5% of those fails. (One layer on its own has more
// points near a kink than a whole model: each weight of a ReLU convolution
// feeds a hundred units or more.)
// Inputs are uniform in [-1, 1]; exact_zeros of them are set to 0, as a ReLU
// leaves them, so that a max meets the ties it meets in a model.
// Tensors and inputs of more than max_points elements are checked on a
// seeded random subset of that many.
//
// With phase = Phase::training, a layer with a training phase (layer.hpp) is
// checked in it: one fixed TrainingPass (so one dropout mask), and a layer
// that needs the batch's statistics gets its sums over all the rows, as the
// trainer would give them, so its derivative is that of the whole batch.
// Tensors the optimizer does not train (moving statistics) are not
// differentiated; their gradients must be written as 0. A layer with a loss
// term of its own (Sampling's kl_loss) is checked with it: the loss is then
// L + loss_term_scale x its term, and the pass says that scale.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/memory.hpp"
#include "typenet/random.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::testing {

struct LayerTestOptions {
    std::uint64_t seed = 1;
    std::size_t rows = 2;
    std::size_t max_points = 400;  // per tensor, and for the input
    double exact_zeros = 0.0;      // the fraction of inputs set to 0
    Phase phase = Phase::inference;
    float loss_term_scale = 0.5f;  // in training, the weight of the layer's own loss term, if it has one
};

struct LayerTestReport {
    std::string layer;  // e.g. "Conv2D (5,4,3) -> (3,2,8)"
    std::size_t checked = 0;
    std::size_t kinks = 0;
    std::size_t kinks_off_both_sides = 0;  // of those, where backward gave neither one-sided derivative
    std::vector<std::string> failures;     // e.g. "kernel (2,1,0,5): analytic 0.31, numeric 0.12"

    bool passed() const { return failures.empty() && kinks_off_both_sides * 20 <= checked; }
    std::string summary() const {
        std::string text = fmt::format("{}: {} derivatives checked, {} at kinks ({} off both sides), {} wrong", layer,
                                       checked, kinks, kinks_off_both_sides, failures.size());
        if (kinks_off_both_sides * 20 > checked)
            text += "; at more than 5% of the points backward matches neither side of a kink, too many to trust the "
                    "check";
        for (std::size_t i = 0; i < std::min<std::size_t>(failures.size(), 10); ++i) text += "\n  " + failures[i];
        if (failures.size() > 10) text += fmt::format("\n  ... and {} more", failures.size() - 10);
        return text;
    }
};

namespace detail {

inline bool derivatives_agree(double numeric, double analytic) {
    return std::abs(numeric - analytic) <= 2e-3 + 2e-2 * std::max(std::abs(numeric), std::abs(analytic));
}

// "(2,1,0,5)": the position of flat index i in dims (row-major).
template <std::size_t N>
std::string position(std::size_t i, const std::array<std::size_t, N>& dims, std::size_t rank) {
    std::array<std::size_t, N> at{};
    for (std::size_t d = rank; d-- > 0;) {
        at[d] = i % dims[d];
        i /= dims[d];
    }
    std::string text = "(";
    for (std::size_t d = 0; d < rank; ++d) text += fmt::format("{}{}", d ? "," : "", at[d]);
    return text + ")";
}

template <class S>
std::string shape_text() {
    std::string text = "(";
    for (std::size_t d = 0; d < S::rank; ++d) text += fmt::format("{}{}", d ? "," : "", S::dims[d]);
    return text + ")";
}

// All of [0, n), or max_points of them drawn without repeats.
inline std::vector<std::size_t> points_to_check(std::size_t n, std::size_t max_points, Random& random) {
    std::vector<std::size_t> points(n);
    std::iota(points.begin(), points.end(), std::size_t{0});
    if (n <= max_points) return points;
    for (std::size_t k = 0; k < max_points; ++k) std::swap(points[k], points[k + random.below(n - k)]);
    points.resize(max_points);
    std::sort(points.begin(), points.end());
    return points;
}

}  // namespace detail

// The derivative of loss() along value by central differences, at four step
// sizes until one agrees with analytic; kink says it never did and the
// one-sided differences disagreed with each other on the way (no derivative
// exists there), one_side that analytic agreed with one of them. value is
// left as it was.
struct DerivativeComparison {
    bool agree = false;
    bool kink = false;
    bool one_side = false;
    double numeric = 0.0;
};

template <class Loss>
DerivativeComparison compare_derivative(Loss& loss, float& value, double analytic) {
    const float saved = value;
    const double center = loss();
    DerivativeComparison result;
    bool one_sided_differ = false;
    for (const float step : {1e-3f, 3e-3f, 3e-4f, 1e-4f}) {
        value = saved + step;
        const double plus = loss();
        value = saved - step;
        const double minus = loss();
        value = saved;
        result.numeric = (plus - minus) / (2.0 * step);
        if ((result.agree = detail::derivatives_agree(result.numeric, analytic))) return result;
        const double right = (plus - center) / step, left = (center - minus) / step;
        one_sided_differ = one_sided_differ || !detail::derivatives_agree(right, left);
        result.one_side = result.one_side || detail::derivatives_agree(right, analytic) ||
                          detail::derivatives_agree(left, analytic);
    }
    result.kink = one_sided_differ;
    return result;
}

template <class Layer, class InputShape, class Arch = kernels::native_arch>
LayerTestReport test_layer(const LayerTestOptions& options = {}) {
    using B = typename Layer::template Bound<InputShape>;
    static_assert(BoundLayer<B>, "typenet: test_layer needs a layer that keeps the contract of layer.hpp");
    using Out = typename B::output_shape;
    const std::size_t rows = options.rows;
    const std::size_t in_size = rows * InputShape::size, out_size = rows * Out::size;
    constexpr float not_written = std::numeric_limits<float>::quiet_NaN();

    LayerTestReport report;
    report.layer = fmt::format("{} {} -> {}", B::kind, detail::shape_text<InputShape>(), detail::shape_text<Out>());
    if constexpr (B::is_view) {
        // A view computes nothing: its output is its input's buffer, seen with another shape.
        if (InputShape::size != Out::size)
            report.failures.push_back(fmt::format("a view must keep the size of its input ({} -> {} floats)",
                                                  InputShape::size, Out::size));
        return report;
    } else {
        Random random(options.seed);
        // Forward's scratch is followed by guards, which it must leave as they are.
        constexpr std::size_t forward_scratch_floats = forward_scratch_floats_of<B>(), guards = 64;
        constexpr float guard = -1234.5f;
        AlignedFloats params(B::parameter_count), grad(B::parameter_count), x(in_size), y(out_size), dy(out_size),
            dx(in_size), scratch(B::scratch_floats), forward_scratch(forward_scratch_floats + guards);
        std::fill_n(forward_scratch.data() + forward_scratch_floats, guards, guard);
        B::initialize(params.data(), random);
        std::vector<float> projection(out_size);
        for (std::size_t i = 0; i < in_size; ++i) x[i] = random.uniform(-1.0f, 1.0f);
        for (auto& r : projection) r = random.uniform(-1.0f, 1.0f);
        // Biases start at zero; a little of everything makes every parameter matter.
        for (std::size_t i = 0; i < B::parameter_count; ++i) params[i] += random.uniform(-0.1f, 0.1f);
        if (options.exact_zeros > 0.0)
            for (std::size_t i = 0; i < in_size; ++i)
                if (random.uniform(0.0f, 1.0f) < options.exact_zeros) x[i] = 0.0f;

        constexpr std::size_t sums_size = [] {
            if constexpr (HasBatchStatistics<B>) return std::size_t(B::batch_sums);
            else return std::size_t{0};
        }();
        std::vector<double> batch_sums(sums_size), gradient_sums(sums_size);
        const TrainingPass pass{.seed = options.seed, .step = 1, .layer = 0, .first_row = 0, .batch_rows = rows,
                                .batch_sums = batch_sums.data(), .gradient_sums = gradient_sums.data(),
                                .loss_term_scale = options.loss_term_scale};
        bool training = false;
        if constexpr (HasTrainingPhase<B>) training = options.phase == Phase::training;
        auto forward = [&] {
            if constexpr (HasTrainingPhase<B>) {
                if (training) {
                    if constexpr (HasBatchStatistics<B>) B::template sum_forward<Arch>(x.data(), rows, batch_sums.data());
                    return B::template train_forward<Arch>(params.data(), x.data(), y.data(), rows, scratch.data(), pass);
                }
            }
            B::template forward<Arch>(params.data(), x.data(), y.data(), rows, forward_scratch.data());
        };
        auto loss = [&] {
            std::fill_n(y.data(), out_size, not_written);
            forward();
            double sum = 0.0;
            for (std::size_t i = 0; i < out_size; ++i) sum += double(projection[i]) * y[i];
            if constexpr (HasLossTerm<B>)
                if (training)
                    sum += double(options.loss_term_scale) *
                           B::template loss_term<Arch>(params.data(), x.data(), y.data(), rows);
            return sum;
        };
        loss();
        const float* guarded = forward_scratch.data() + forward_scratch_floats;
        if (!std::all_of(guarded, guarded + guards, [](float v) { return v == guard; })) {
            report.failures.push_back(fmt::format("forward wrote past its forward_scratch_floats ({}) of scratch",
                                                  forward_scratch_floats));
            return report;
        }
        for (std::size_t i = 0; i < out_size; ++i)
            if (std::isnan(y[i])) {
                report.failures.push_back(
                    fmt::format("forward did not write output {}", detail::position(i, std::array{rows, Out::size}, 2)));
                return report;
            }
        std::copy(projection.begin(), projection.end(), dy.data());
        std::fill_n(dx.data(), in_size, not_written);
        std::fill_n(grad.data(), B::parameter_count, not_written);
        [&] {
            if constexpr (HasTrainingPhase<B>) {
                if (training) {
                    if constexpr (HasBatchStatistics<B>)
                        B::template sum_backward<Arch>(params.data(), x.data(), dy.data(), rows, pass,
                                                       gradient_sums.data());
                    return B::template train_backward<Arch>(params.data(), x.data(), y.data(), dy.data(), dx.data(),
                                                            grad.data(), rows, scratch.data(), pass);
                }
            }
            B::template backward<Arch>(params.data(), x.data(), y.data(), dy.data(), dx.data(), grad.data(), rows,
                                       scratch.data());
        }();
        const std::vector<float> analytic_params(grad.data(), grad.data() + B::parameter_count),
            analytic_input(dx.data(), dx.data() + in_size);

        auto check = [&](float& value, double analytic, const std::string& what) {
            ++report.checked;
            if (std::isnan(analytic)) {
                report.failures.push_back(fmt::format("{}: backward did not write its gradient (or added to it: "
                                                      "backward must write, not accumulate)",
                                                      what));
                return;
            }
            const auto [agree, kink, one_side, numeric] = compare_derivative(loss, value, analytic);
            if (kink) {
                ++report.kinks;
                if (!one_side) ++report.kinks_off_both_sides;
            } else if (!agree)
                report.failures.push_back(fmt::format("{}: analytic {:.6g}, numeric {:.6g}", what, analytic, numeric));
        };
        for (const TensorInfo& tensor : B::tensors) {
            if (tensor.role != TensorRole::trained) {
                for (std::size_t i = 0; i < tensor.size(); ++i)
                    if (analytic_params[tensor.offset + i] != 0.0f)
                        report.failures.push_back(fmt::format("{} {}: not trained, so its gradient must be 0, not {}",
                                                              tensor.name,
                                                              detail::position(i, tensor.dims, tensor.rank),
                                                              analytic_params[tensor.offset + i]));
                continue;
            }
            for (std::size_t i : detail::points_to_check(tensor.size(), options.max_points, random))
                check(params[tensor.offset + i], analytic_params[tensor.offset + i],
                      fmt::format("{} {}", tensor.name, detail::position(i, tensor.dims, tensor.rank)));
        }
        std::array<std::size_t, InputShape::rank + 1> input_dims{rows};
        std::copy(InputShape::dims.begin(), InputShape::dims.end(), input_dims.begin() + 1);
        for (std::size_t i : detail::points_to_check(in_size, options.max_points, random))
            check(x[i], analytic_input[i],
                  fmt::format("input {}", detail::position(i, input_dims, InputShape::rank + 1)));
        return report;
    }
}

}  // namespace typenet::testing
