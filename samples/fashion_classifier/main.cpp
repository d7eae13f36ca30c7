// TensorFlow's "Basic classification" tutorial: Flatten -> Dense(128, relu) ->
// Dense(10) trained on Fashion-MNIST with Adam and a sparse categorical
// crossentropy of the logits, validated on the test set; then, as the
// tutorial ends, the test images' predictions through a probability model
// (the same layers and a Softmax): the confusion matrix, a grid of titled
// predictions, and each class's precision and recall.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/classification_report.hpp"
#include "common/training_command_line.hpp"
#include "common/training_files.hpp"
#include "notebook_models.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;
using notebook::FashionClassifier;
using notebook::FashionProbabilities;

// The tutorial's loss: tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True).
using Loss = tn::SparseCategoricalCrossentropy<tn::FromLogits>;
// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;

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
    samples::print_summary_if_asked<FashionClassifier>(flags);

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
        FashionProbabilities probability_model(flags.seed);
        std::copy(model.parameters().begin(), model.parameters().end(), probability_model.parameters().begin());
        tn::Workspace<FashionProbabilities, batch_capacity> workspace;
        const std::vector<float> probabilities = tn::predict(probability_model, workspace, test.values());
        const samples::Confusion confusion = samples::write_classification_report(
            program, flags.out,
            {.images = test.values(),
             .labels = data.test_labels,
             .logits = logits,
             .probabilities = probabilities,
             .loss = tn::evaluate<Loss>(model, trainer.workspace(), test, test_labels).loss});
        fmt::print("wrote history.csv, loss.svg, accuracy.svg, checkpoint.tnm, model.tnm, confusion.png, "
                   "predictions.png and metrics.json into {}\n",
                   flags.out.string());
        fmt::print("test_accuracy: {:.4f}\n", confusion.accuracy());
    });
}
