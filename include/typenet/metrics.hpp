#pragma once
// Scoring an anomaly detector as TensorFlow's autoencoder tutorial does:
// per-example reconstruction errors, the threshold rule (mean plus one
// standard deviation of the training errors), accuracy, precision and recall
// of a thresholded rule, and the ROC AUC of the errors as a score.
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

// `function` names the caller and what the values are, for the message.
inline void require_values(std::span<const double> values, std::string_view function) {
    if (values.empty()) throw UsageError(fmt::format("typenet: {} needs at least one value", function));
    const auto nan = std::find_if(values.begin(), values.end(), [](double v) { return std::isnan(v); });
    if (nan != values.end())
        throw UsageError(fmt::format("typenet: {} got NaN (value {} of {})", function, nan - values.begin() + 1,
                                     values.size()));
}

}  // namespace detail

inline double mean(std::span<const double> values) {
    detail::require_values(values, "mean");
    double sum = 0.0;
    for (const double v : values) sum += v;
    return sum / static_cast<double>(values.size());
}

// The population standard deviation (NumPy's np.std), in two passes: summing
// squares first and subtracting the squared mean loses every digit when the
// values sit close together, as reconstruction errors do.
inline double standard_deviation(std::span<const double> values) {
    const double centre = mean(values);
    double sum = 0.0;
    for (const double v : values) sum += (v - centre) * (v - centre);
    return std::sqrt(sum / static_cast<double>(values.size()));
}

// The tutorial's rule: an example is anomalous when its error reaches one
// standard deviation above the mean error of the normal training examples.
inline double anomaly_threshold(std::span<const double> normal_training_errors) {
    return mean(normal_training_errors) + standard_deviation(normal_training_errors);
}

// Each row's mean absolute difference between inputs and their reconstructions
// (Keras's tf.keras.losses.mae over a row), accumulated in double.
inline std::vector<double> mean_absolute_errors(std::span<const float> inputs, std::span<const float> reconstructions,
                                                std::size_t row_size) {
    if (row_size == 0 || inputs.size() != reconstructions.size() || inputs.size() % row_size != 0)
        throw UsageError(fmt::format("typenet: mean_absolute_errors needs two equal spans of whole rows of {}; got "
                                     "{} and {} floats",
                                     row_size, inputs.size(), reconstructions.size()));
    std::vector<double> errors(inputs.size() / row_size);
    for (std::size_t row = 0; row < errors.size(); ++row) {
        double sum = 0.0;
        for (std::size_t i = row * row_size; i < (row + 1) * row_size; ++i)
            sum += std::abs(static_cast<double>(inputs[i]) - static_cast<double>(reconstructions[i]));
        errors[row] = sum / static_cast<double>(row_size);
    }
    return errors;
}

// Counts of a binary rule's decisions. Where a ratio has no examples to
// count (nothing predicted positive, no positives at all, no examples) it is
// 0, as scikit-learn's zero_division default gives.
struct ConfusionMatrix {
    std::size_t true_positives = 0;
    std::size_t false_positives = 0;
    std::size_t true_negatives = 0;
    std::size_t false_negatives = 0;

    std::size_t count() const { return true_positives + false_positives + true_negatives + false_negatives; }
    double accuracy() const { return ratio(true_positives + true_negatives, count()); }
    double precision() const { return ratio(true_positives, true_positives + false_positives); }
    double recall() const { return ratio(true_positives, true_positives + false_negatives); }

private:
    static double ratio(std::size_t part, std::size_t whole) {
        return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
    }
};

// The decisions of `predicted_positive` on examples known to be positive and
// examples known to be negative, given by their scores.
template <class Rule>
    requires std::predicate<Rule&, double>
ConfusionMatrix confusion_matrix(std::span<const double> positive_scores, std::span<const double> negative_scores,
                                 Rule predicted_positive) {
    ConfusionMatrix matrix;
    for (const double score : positive_scores)
        ++(predicted_positive(score) ? matrix.true_positives : matrix.false_negatives);
    for (const double score : negative_scores)
        ++(predicted_positive(score) ? matrix.false_positives : matrix.true_negatives);
    return matrix;
}

// The area under the ROC curve of a score meant to be higher for positives:
// the probability that a random positive outscores a random negative, a tie
// counting 1/2 (the Mann-Whitney U statistic over n_pos * n_neg). Exact, in
// O(n log n): one sort, then each group of equal scores is credited with the
// negatives below it plus half those within it.
inline double roc_auc(std::span<const double> positive_scores, std::span<const double> negative_scores) {
    detail::require_values(positive_scores, "roc_auc (positive scores)");
    detail::require_values(negative_scores, "roc_auc (negative scores)");
    std::vector<std::pair<double, bool>> scored;  // (score, is positive)
    scored.reserve(positive_scores.size() + negative_scores.size());
    for (const double score : positive_scores) scored.emplace_back(score, true);
    for (const double score : negative_scores) scored.emplace_back(score, false);
    std::sort(scored.begin(), scored.end());

    // Twice the credit, so that every term is a whole number (exact in double up to 2^53).
    double twice_credit = 0.0;
    std::size_t negatives_below = 0;
    for (std::size_t first = 0; first < scored.size();) {
        std::size_t last = first, positives = 0, negatives = 0;
        for (; last < scored.size() && scored[last].first == scored[first].first; ++last)
            ++(scored[last].second ? positives : negatives);
        twice_credit += static_cast<double>(positives) * static_cast<double>(2 * negatives_below + negatives);
        negatives_below += negatives;
        first = last;
    }
    return twice_credit / (2.0 * static_cast<double>(positive_scores.size()) *
                           static_cast<double>(negative_scores.size()));
}

}  // namespace typenet
