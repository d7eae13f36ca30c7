#pragma once
// What the Fashion-MNIST classifiers report on the test set once trained, as
// TensorFlow's classification tutorial ends: each image's class (the argmax
// of its logits, as fit's val_accuracy judged it), the confusion matrix
// (confusion.png), a grid of titled predictions (predictions.png), and the
// accuracy, the loss and each class's precision and recall (metrics.json, and
// a line a class on stdout).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/plot.hpp"
#include "typenet/io/atomic_file.hpp"
#include "typenet/metrics.hpp"

namespace samples {

inline constexpr std::size_t class_count = 10;
// The tutorial's class_names, label by label.
inline const std::array<std::string, class_count> class_names{"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                              "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                              "Bag",         "Ankle boot"};

// The test set's counts: row t, column p holds the images of class t predicted as p.
struct Confusion {
    std::vector<std::size_t> counts = std::vector<std::size_t>(class_count * class_count);

    std::size_t at(std::size_t truth, std::size_t predicted) const { return counts[truth * class_count + predicted]; }
    std::size_t total() const {
        std::size_t sum = 0;
        for (const std::size_t count : counts) sum += count;
        return sum;
    }
    double accuracy() const {
        std::size_t right = 0;
        for (std::size_t k = 0; k < class_count; ++k) right += at(k, k);
        return static_cast<double>(right) / static_cast<double>(total());
    }
    // Class k against the other nine, for its precision and recall.
    typenet::ConfusionMatrix one_against_rest(std::size_t k) const {
        typenet::ConfusionMatrix matrix;
        for (std::size_t truth = 0; truth < class_count; ++truth)
            for (std::size_t predicted = 0; predicted < class_count; ++predicted) {
                const std::size_t count = at(truth, predicted);
                if (truth == k)
                    (predicted == k ? matrix.true_positives : matrix.false_negatives) += count;
                else
                    (predicted == k ? matrix.false_positives : matrix.true_negatives) += count;
            }
        return matrix;
    }
};

// The class of the largest score of each row; ties go to the first, as tf.argmax and fit's accuracy have it.
inline std::vector<std::size_t> predicted_classes(std::span<const float> scores) {
    std::vector<std::size_t> classes(scores.size() / class_count);
    for (std::size_t row = 0; row < classes.size(); ++row) {
        const auto row_scores = scores.subspan(row * class_count, class_count);
        std::size_t best = 0;
        for (std::size_t k = 1; k < class_count; ++k)
            if (row_scores[k] > row_scores[best]) best = k;
        classes[row] = best;
    }
    return classes;
}

// The test set and what the trained classifier made of it.
struct TestPredictions {
    std::span<const float> images;         // 28x28 each
    std::span<const std::uint8_t> labels;  // one an image
    std::span<const float> logits;         // ten an image; the predicted class is the largest
    std::span<const float> probabilities;  // ten an image, as the tutorial's softmax gives them
    double loss = 0.0;                     // the loss it was trained with, over the test set
};

// The tutorial's plot_image for the first 30 test images, in rows of ten:
// each titled with its predicted class and its probability, the true class in
// brackets under it, in red when wrong.
inline void write_predictions(const std::filesystem::path& file, const std::string& program,
                              const TestPredictions& test, std::span<const std::size_t> predicted) {
    constexpr std::size_t shown = 30, image_size = 28 * 28;
    plot::ImageGrid grid{.title = program + ": test images, predicted class (true class); wrong in red"};
    for (std::size_t i = 0; i < std::min(shown, test.labels.size()); ++i) {
        const double probability = test.probabilities[i * class_count + predicted[i]];
        grid.images.push_back({.pixels = test.images.subspan(i * image_size, image_size),
                               .title = {fmt::format("{} {:.0f}%", class_names[predicted[i]], 100.0 * probability),
                                         fmt::format("({})", class_names[test.labels[i]])},
                               .marked = predicted[i] != test.labels[i]});
    }
    plot::write_image_grid(file, grid);
}

// metrics.json: the test accuracy and loss, and each class's precision and
// recall (scikit-learn's classification_report, zero where nothing is
// counted). Written with fmt: the fields are fixed and the class names need no
// escaping, and a JSON library would add 4 s to a sample's build.
inline void write_metrics(const std::filesystem::path& file, const Confusion& confusion, double test_loss) {
    std::string json = fmt::format("{{\n  \"test_accuracy\": {},\n  \"test_loss\": {},\n  \"test_count\": {},\n  \"classes\": [\n",
                                   confusion.accuracy(), test_loss, confusion.total());
    for (std::size_t k = 0; k < class_count; ++k) {
        const typenet::ConfusionMatrix matrix = confusion.one_against_rest(k);
        json += fmt::format("    {{\"class\": {}, \"name\": \"{}\", \"precision\": {}, \"recall\": {}, \"support\": {}}}{}\n",
                            k, class_names[k], matrix.precision(), matrix.recall(),
                            matrix.true_positives + matrix.false_negatives, k + 1 < class_count ? "," : "");
        fmt::print("{:>2} {:<12} precision {:.4f}  recall {:.4f}\n", k, class_names[k], matrix.precision(),
                   matrix.recall());
    }
    json += "  ]\n}\n";
    typenet::io::write_text_file_atomically(file, json);
}

// Writes confusion.png, predictions.png and metrics.json into `out`, their
// titles under the program's name; returns the test set's confusion.
inline Confusion write_classification_report(const std::string& program, const std::filesystem::path& out,
                                             const TestPredictions& test) {
    const std::vector<std::size_t> predicted = predicted_classes(test.logits);
    Confusion confusion;
    for (std::size_t i = 0; i < predicted.size(); ++i) ++confusion.counts[test.labels[i] * class_count + predicted[i]];
    plot::write_confusion_matrix(out / "confusion.png",
                                 {.title = program + ": confusion matrix of the test images (rows: true class)",
                                  .class_names = {class_names.begin(), class_names.end()},
                                  .counts = confusion.counts});
    write_predictions(out / "predictions.png", program, test, predicted);
    write_metrics(out / "metrics.json", confusion, test.loss);
    return confusion;
}

}  // namespace samples
