// The anomaly detector's scores against values worked out by hand, and the
// ROC AUC against its definition (every positive-negative pair) on random
// scores full of ties.
#include "typenet/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

using ::testing::HasSubstr;

TEST(Mean, OfAFewValues) {
    const std::vector<double> values{2, 4, 4, 4, 5, 5, 7, 9};
    EXPECT_DOUBLE_EQ(typenet::mean(values), 5.0);
}

TEST(StandardDeviation, IsThePopulationOne) {
    // Deviations from 5: -3 -1 -1 -1 0 0 2 4; squares sum to 32; 32 / 8 = 4 (not 32 / 7).
    const std::vector<double> values{2, 4, 4, 4, 5, 5, 7, 9};
    EXPECT_DOUBLE_EQ(typenet::standard_deviation(values), 2.0);
}

TEST(StandardDeviation, OfOneValueIsZero) {
    const std::vector<double> values{0.25};
    EXPECT_EQ(typenet::standard_deviation(values), 0.0);
}

TEST(StandardDeviation, KeepsItsDigitsForValuesCloseTogether) {
    // 1e8 + {1, 2, 3}: deviations -1 0 1, so sqrt(2 / 3); the sum of squares
    // minus the squared mean would lose every digit of it.
    const std::vector<double> values{1e8 + 1, 1e8 + 2, 1e8 + 3};
    EXPECT_NEAR(typenet::standard_deviation(values), std::sqrt(2.0 / 3.0), 1e-9);
}

TEST(AnomalyThreshold, IsTheMeanPlusOneStandardDeviation) {
    const std::vector<double> errors{2, 4, 4, 4, 5, 5, 7, 9};
    EXPECT_DOUBLE_EQ(typenet::anomaly_threshold(errors), 7.0);
}

TEST(Moments, RefuseNoValuesAndNaN) {
    const std::vector<double> none, with_nan{1.0, NAN, 2.0};
    EXPECT_THROW(typenet::mean(none), typenet::UsageError);
    EXPECT_THROW(typenet::standard_deviation(none), typenet::UsageError);
    EXPECT_THROW(typenet::anomaly_threshold(none), typenet::UsageError);
    try {
        typenet::mean(with_nan);
        ADD_FAILURE() << "mean of a NaN did not throw";
    } catch (const typenet::UsageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("value 2 of 3"));
    }
}

TEST(MeanAbsoluteErrors, OnePerRow) {
    const std::vector<float> inputs{0.0f, 0.5f, 1.0f, 1.0f, 1.0f, 1.0f};
    const std::vector<float> reconstructions{0.5f, 0.5f, 0.5f, 0.0f, 1.0f, 0.25f};
    const auto errors = typenet::mean_absolute_errors(inputs, reconstructions, 3);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_DOUBLE_EQ(errors[0], 1.0 / 3.0);   // (0.5 + 0 + 0.5) / 3
    EXPECT_DOUBLE_EQ(errors[1], 1.75 / 3.0);  // (1 + 0 + 0.75) / 3
}

TEST(MeanAbsoluteErrors, RefusesSpansThatAreNotWholeRows) {
    const std::vector<float> five(5), six(6);
    EXPECT_THROW(typenet::mean_absolute_errors(five, five, 3), typenet::UsageError);
    EXPECT_THROW(typenet::mean_absolute_errors(six, five, 3), typenet::UsageError);
    EXPECT_THROW(typenet::mean_absolute_errors(six, six, 0), typenet::UsageError);
}

// The tutorial's rule: normal (the positive class) when the error is below the threshold.
TEST(ConfusionMatrix, OfTheThresholdRule) {
    const std::vector<double> normal{0.1, 0.4, 0.6}, anomalous{0.45, 0.5, 0.9, 1.0};
    // Below 0.5: normal 0.1 and 0.4 (true positives), 0.6 missed; anomalous 0.45
    // (a false positive); 0.5 itself is not below, so it is called an anomaly.
    const auto matrix = typenet::confusion_matrix(normal, anomalous, [](double error) { return error < 0.5; });
    EXPECT_EQ(matrix.true_positives, 2u);
    EXPECT_EQ(matrix.false_negatives, 1u);
    EXPECT_EQ(matrix.false_positives, 1u);
    EXPECT_EQ(matrix.true_negatives, 3u);
    EXPECT_EQ(matrix.count(), 7u);
    EXPECT_DOUBLE_EQ(matrix.accuracy(), 5.0 / 7.0);
    EXPECT_DOUBLE_EQ(matrix.precision(), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(matrix.recall(), 2.0 / 3.0);
}

TEST(ConfusionMatrix, RatiosWithNothingToCountAreZero) {
    const std::vector<double> none, normal{0.7}, anomalous{0.8};
    const auto below_half = [](double error) { return error < 0.5; };
    const auto nothing_predicted = typenet::confusion_matrix(normal, anomalous, below_half);
    EXPECT_DOUBLE_EQ(nothing_predicted.accuracy(), 0.5);
    EXPECT_EQ(nothing_predicted.precision(), 0.0);
    const auto no_positives = typenet::confusion_matrix(none, anomalous, below_half);
    EXPECT_EQ(no_positives.recall(), 0.0);
    EXPECT_EQ(typenet::ConfusionMatrix{}.accuracy(), 0.0);
}

TEST(RocAuc, PerfectAndReversedSeparation) {
    const std::vector<double> low{1, 2}, high{3, 4};
    EXPECT_EQ(typenet::roc_auc(high, low), 1.0);
    EXPECT_EQ(typenet::roc_auc(low, high), 0.0);
}

TEST(RocAuc, CountsATieAsOneHalf) {
    // Positive 0.5 against negatives 0.5, 0.2, 0.8: 1/2 + 1 + 0 = 1.5.
    // Positive 0.8 against the same: 1 + 1 + 1/2 = 2.5. (1.5 + 2.5) / (2 * 3) = 2/3.
    const std::vector<double> positives{0.5, 0.8}, negatives{0.5, 0.2, 0.8};
    EXPECT_DOUBLE_EQ(typenet::roc_auc(positives, negatives), 2.0 / 3.0);
}

TEST(RocAuc, OfEqualScoresIsOneHalf) {
    const std::vector<double> positives{1, 1}, negatives{1, 1, 1};
    EXPECT_EQ(typenet::roc_auc(positives, negatives), 0.5);
}

TEST(RocAuc, HandWorkedWithTiesAcrossAndWithinClasses) {
    // Positives 0.3, 0.3, 0.9; negatives 0.1, 0.3, 0.3, 0.7.
    // Each 0.3: beats 0.1 (1), ties two 0.3 (1/2 + 1/2), loses to 0.7 -> 2, twice: 4.
    // 0.9: beats all four -> 4. (4 + 4) / (3 * 4) = 2/3.
    const std::vector<double> positives{0.3, 0.9, 0.3}, negatives{0.3, 0.1, 0.7, 0.3};
    EXPECT_DOUBLE_EQ(typenet::roc_auc(positives, negatives), 2.0 / 3.0);
}

// The definition: over every positive-negative pair, 1 for a win and 1/2 for a tie.
double auc_by_pairs(const std::vector<double>& positives, const std::vector<double>& negatives) {
    double credit = 0.0;
    for (const double p : positives)
        for (const double n : negatives) credit += p > n ? 1.0 : p == n ? 0.5 : 0.0;
    return credit / static_cast<double>(positives.size() * negatives.size());
}

TEST(RocAuc, AgreesWithEveryPairOnRandomScoresWithTies) {
    std::mt19937 random(7);
    for (int trial = 0; trial < 50; ++trial) {
        // Scores from a few levels, so that most of them tie, within and across the classes.
        std::uniform_int_distribution<int> level(0, 1 + trial % 12), size(1, 60);
        std::vector<double> positives(static_cast<std::size_t>(size(random)));
        std::vector<double> negatives(static_cast<std::size_t>(size(random)));
        for (double& score : positives) score = 0.1 * level(random);
        for (double& score : negatives) score = 0.1 * level(random);
        SCOPED_TRACE(::testing::Message() << "trial " << trial);
        EXPECT_DOUBLE_EQ(typenet::roc_auc(positives, negatives), auc_by_pairs(positives, negatives));
        EXPECT_DOUBLE_EQ(typenet::roc_auc(negatives, positives), 1.0 - auc_by_pairs(positives, negatives));
    }
}

TEST(RocAuc, NeedsBothClassesAndNoNaN) {
    const std::vector<double> none, some{0.5}, with_nan{0.2, NAN};
    EXPECT_THROW(typenet::roc_auc(none, some), typenet::UsageError);
    EXPECT_THROW(typenet::roc_auc(some, none), typenet::UsageError);
    EXPECT_THROW(typenet::roc_auc(with_nan, some), typenet::UsageError);
    EXPECT_THROW(typenet::roc_auc(some, with_nan), typenet::UsageError);
}

}  // namespace
