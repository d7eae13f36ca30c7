// TensorFlow's "Basic classification" tutorial: Flatten -> Dense(128, relu) ->
// Dense(10) trained on Fashion-MNIST with Adam and a sparse categorical
// crossentropy of the logits, validated on the test set; then, as the
// tutorial ends, the test images' predictions through a probability model
// (the same layers and a Softmax): the confusion matrix, a grid of titled
// predictions, and each class's precision and recall.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/figures.hpp"
#include "common/plot.hpp"
#include "common/training_command_line.hpp"
#include "common/training_files.hpp"
#include "notebook_models.hpp"
#include "typenet/metrics.hpp"
#include "typenet/typenet.hpp"

namespace fs = std::filesystem;
namespace tn = typenet;
using notebook::FashionClassifier;
using notebook::FashionLayers;
using notebook::FashionProbabilities;

// The tutorial's loss: tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True).
using Loss = tn::SparseCategoricalCrossentropy<tn::FromLogits>;
// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;
constexpr std::size_t class_count = 10;
constexpr std::size_t image_size = 28 * 28;
// The tutorial's class_names, label by label.
const std::array<std::string, class_count> class_names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
// predictions.png: the first test images, a row of ten each.
constexpr std::size_t predictions_shown = 30;

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
    tn::ConfusionMatrix one_against_rest(std::size_t k) const {
        tn::ConfusionMatrix matrix;
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
std::vector<std::size_t> predicted_classes(std::span<const float> scores) {
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

// The tutorial's plot_image: each image titled with its predicted class and
// its probability, the true class in brackets under it, in red when wrong.
void write_predictions(const fs::path& file, std::span<const float> images, std::span<const float> probabilities,
                       std::span<const std::size_t> predicted, std::span<const std::uint8_t> labels) {
    samples::plot::ImageGrid grid{.title = "fashion_classifier: test images, predicted class (true class); wrong in red"};
    for (std::size_t i = 0; i < std::min(predictions_shown, labels.size()); ++i) {
        const double probability = probabilities[i * class_count + predicted[i]];
        grid.images.push_back({.pixels = images.subspan(i * image_size, image_size),
                               .title = {fmt::format("{} {:.0f}%", class_names[predicted[i]], 100.0 * probability),
                                         fmt::format("({})", class_names[labels[i]])},
                               .marked = predicted[i] != labels[i]});
    }
    samples::plot::write_image_grid(file, grid);
}

// metrics.json: the test accuracy and loss, and each class's precision and
// recall (scikit-learn's classification_report, zero where nothing is
// counted). Written with fmt: the fields are fixed and the class names need no
// escaping, and a JSON library would add 4 s to this sample's build.
void write_metrics(const fs::path& file, const Confusion& confusion, double test_loss) {
    std::string json = fmt::format("{{\n  \"test_accuracy\": {},\n  \"test_loss\": {},\n  \"test_count\": {},\n  \"classes\": [\n",
                                   confusion.accuracy(), test_loss, confusion.total());
    for (std::size_t k = 0; k < class_count; ++k) {
        const tn::ConfusionMatrix matrix = confusion.one_against_rest(k);
        json += fmt::format("    {{\"class\": {}, \"name\": \"{}\", \"precision\": {}, \"recall\": {}, \"support\": {}}}{}\n",
                            k, class_names[k], matrix.precision(), matrix.recall(),
                            matrix.true_positives + matrix.false_negatives, k + 1 < class_count ? "," : "");
        fmt::print("{:>2} {:<12} precision {:.4f}  recall {:.4f}\n", k, class_names[k], matrix.precision(),
                   matrix.recall());
    }
    json += "  ]\n}\n";
    tn::io::write_text_file_atomically(file, json);
}

int main(int argc, char** argv) {
    const std::string program = "fashion_classifier";
    const samples::TrainingFlags flags = samples::parse_training_command_line(
        argc, argv,
        {.program = program,
         .description = "Trains the classifier of TensorFlow's basic classification tutorial (Flatten, Dense(128, "
                        "relu), Dense(10)) on Fashion-MNIST, then scores it on the test images.",
         .footer = "Writes history.csv, loss.svg, accuracy.svg, checkpoint.tnm, model.tnm, confusion.png, "
                   "predictions.png and metrics.json into --out.\n"
                   "Exit codes: 0 done, 1 bad data, 2 bad usage, 3 training met a non-finite loss or gradient.",
         .batch_capacity = batch_capacity,
         .out = "out/classifier"});

    const auto data = samples::load_data_or_exit(program, flags.data);
    const tn::Samples<tn::Shape<28, 28>> train{data.train_images.pixels}, test{data.test_images.pixels};
    const tn::Labels train_labels{data.train_labels, flags.data.string()};
    const tn::Labels test_labels{data.test_labels, flags.data.string()};
    fmt::print("Fashion-MNIST: {} training and {} test images from {}\n", train.count(), test.count(),
               flags.data.string());

    FashionClassifier model(flags.seed);
    tn::Trainer<FashionClassifier, tn::Adam, Loss, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    samples::TrainingFiles files(program, flags, trainer, "crossentropy");
    const auto resumed = files.resume();
    samples::prepare_output_folder(program, flags.out);  // only once every input has been read
    tn::History history;
    samples::run_or_exit(program, [&] {
        tn::fit(trainer, train, train_labels, test, test_labels, files.fit_options(resumed, history));
        files.finish("trained_fashion_classifier");

        // The classes from the classifier's logits, as fit's val_accuracy judged them; the probabilities
        // from the tutorial's probability model, the trained parameters and a Softmax.
        const std::vector<float> logits = tn::predict(model, trainer.workspace(), test.values());
        const std::vector<std::size_t> predicted = predicted_classes(logits);
        FashionProbabilities probability_model(flags.seed);
        std::copy(model.parameters().begin(), model.parameters().end(), probability_model.parameters().begin());
        tn::Workspace<FashionProbabilities, batch_capacity> workspace;
        const std::vector<float> probabilities = tn::predict(probability_model, workspace, test.values());

        Confusion confusion;
        for (std::size_t i = 0; i < predicted.size(); ++i)
            ++confusion.counts[data.test_labels[i] * class_count + predicted[i]];
        samples::plot::write_confusion_matrix(
            flags.out / "confusion.png",
            {.title = "fashion_classifier: confusion matrix of the test images (rows: true class)",
             .class_names = {class_names.begin(), class_names.end()},
             .counts = confusion.counts});
        write_predictions(flags.out / "predictions.png", test.values(), probabilities, predicted, data.test_labels);
        const double test_loss = tn::evaluate<Loss>(model, trainer.workspace(), test, test_labels).loss;
        write_metrics(flags.out / "metrics.json", confusion, test_loss);
        fmt::print("wrote history.csv, loss.svg, accuracy.svg, checkpoint.tnm, model.tnm, confusion.png, "
                   "predictions.png and metrics.json into {}\n",
                   flags.out.string());
        fmt::print("test_accuracy: {:.4f}\n", confusion.accuracy());
    });
}
