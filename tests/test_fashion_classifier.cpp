// TensorFlow's "Basic classification" tutorial on the real Fashion-MNIST
// (Debian's dataset-fashion-mnist): Flatten, Dense(128, relu), Dense(10),
// Adam, SparseCategoricalCrossentropy(from_logits=True), one epoch of
// batches of 32. Keras reaches about 0.82 test accuracy after one epoch (0.88
// after ten). The accuracy is printed and recorded (no timings: those belong
// to bench/); the test asks only that it is well above chance.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "typenet/io/idx.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;

namespace {

const std::filesystem::path fashion_mnist = "/usr/share/datasets/fashion-mnist";

using Classifier = tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<128, tn::ReLU>, tn::Dense<10>>;
// The tutorial's probability_model: the same layers and a Softmax.
using ProbabilityModel =
    tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<128, tn::ReLU>, tn::Dense<10>, tn::Softmax>;
using Images = tn::Samples<tn::Shape<28, 28>>;

}  // namespace

TEST(FashionMnist, TheTutorialsClassifierLearnsInOneEpoch) {
    if (!std::filesystem::exists(fashion_mnist)) GTEST_SKIP() << fashion_mnist << " is not installed";
    const tn::io::Dataset data = tn::io::load_fashion_mnist(fashion_mnist);
    const Images train{data.train_images.pixels}, test{data.test_images.pixels};
    const tn::Labels train_labels{data.train_labels, "train-labels-idx1-ubyte"};
    const tn::Labels test_labels{data.test_labels, "t10k-labels-idx1-ubyte"};

    Classifier model(0);
    tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 32> trainer(
        model, tn::Adam{}, tn::available_cores());
    const tn::History history =
        tn::fit(trainer, train, train_labels, test, test_labels, {.epochs = 1, .batch_size = 32, .verbose = false});
    ASSERT_EQ(history.size(), 1u);
    std::printf("after one epoch: accuracy %.4f, test accuracy %.4f, test loss %.4f\n", history[0].accuracy,
                history[0].val_accuracy, history[0].val_loss);
    ::testing::Test::RecordProperty("test_accuracy", std::to_string(history[0].val_accuracy));
    EXPECT_GT(history[0].val_accuracy, 0.78);
    EXPECT_LT(history[0].val_loss, 0.6);

    // The trained weights in the probability model: its predictions are
    // distributions whose largest class is the classifier's.
    ProbabilityModel probabilities(0);
    std::copy(model.parameters().begin(), model.parameters().end(), probabilities.parameters().begin());
    tn::Workspace<Classifier, 64> logits_workspace;
    tn::Workspace<ProbabilityModel, 64> workspace;
    const std::vector<float> logits = tn::predict(model, logits_workspace, test.rows(0, 64));
    const std::vector<float> predicted = tn::predict(probabilities, workspace, test.rows(0, 64));
    for (std::size_t r = 0; r < 64; ++r) {
        double sum = 0.0;
        std::size_t best_logit = 0, best_probability = 0;
        for (std::size_t k = 0; k < 10; ++k) {
            sum += predicted[r * 10 + k];
            if (logits[r * 10 + k] > logits[r * 10 + best_logit]) best_logit = k;
            if (predicted[r * 10 + k] > predicted[r * 10 + best_probability]) best_probability = k;
        }
        EXPECT_NEAR(sum, 1.0, 1e-5) << r;
        EXPECT_EQ(best_logit, best_probability) << r;
    }
    const tn::Evaluation evaluation = tn::evaluate<tn::SparseCategoricalCrossentropy<>>(
        probabilities, workspace, test, test_labels);
    EXPECT_NEAR(evaluation.loss, history[0].val_loss, 1e-9);
    EXPECT_EQ(evaluation.accuracy, history[0].val_accuracy);
}
