// A convolutional classifier of Fashion-MNIST with batch normalization and
// dropout: two blocks of Conv2D(3, same, no bias) -> BatchNormalization ->
// ReLU -> MaxPooling2D(2), then Flatten -> Dropout(0.25) -> Dense(128, relu)
// -> Dropout(0.5) -> Dense(10), trained with Adam and a sparse categorical
// crossentropy of the logits in batches of 32, validated on the test set;
// then, as TensorFlow's classification tutorial ends, the test images'
// predictions with their probabilities (the tutorial's softmax of the logits):
// the confusion matrix, a grid of titled predictions, and each class's
// precision and recall. Training drops and normalizes by the batch; the
// validation and the predictions run the model's inference phase (no
// dropout, the moving statistics).
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
using notebook::FashionCnn;

// tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True).
using Loss = tn::SparseCategoricalCrossentropy<tn::FromLogits>;
// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;
// The tutorial's probability_model without the classifier's layers: the
// Softmax layer on the ten logits of each image (run as a bound layer: a
// model around it would cost this sample's build 1.7 s).
using LogitsToProbabilities = tn::Softmax::Bound<tn::Shape<samples::class_count>>;

int main(int argc, char** argv) {
    const std::string program = "fashion_cnn";
    const samples::TrainingFlags flags = samples::parse_training_command_line(
        argc, argv,
        {.program = program,
         .description = "Trains a convolutional classifier with batch normalization and dropout (two blocks of "
                        "Conv2D, BatchNormalization, ReLU and MaxPooling2D; Dropout, Dense(128, relu), Dropout, "
                        "Dense(10)) on Fashion-MNIST, then scores it on the test images.",
         .footer = "Writes history.csv, loss.svg, accuracy.svg, checkpoint.tnm, model.tnm, confusion.png, "
                   "predictions.png and metrics.json into --out.\n"
                   "Exit codes: 0 done, 1 bad data, 2 bad usage, 3 training met a non-finite loss or gradient.",
         .batch_capacity = batch_capacity,
         .epochs = 5,
         .out = "out/cnn"});
    samples::print_summary_if_asked<FashionCnn>(flags);

    const auto data = samples::load_data_or_exit(program, flags.data);
    const tn::Samples<tn::Shape<28, 28, 1>> train{data.train_images.pixels}, test{data.test_images.pixels};
    const tn::Labels train_labels{data.train_labels, flags.data.string()};
    const tn::Labels test_labels{data.test_labels, flags.data.string()};
    fmt::print("Fashion-MNIST: {} training and {} test images from {}\n", train.count(), test.count(),
               flags.data.string());

    // Keras's model.summary() counts: the moving statistics are not trainable.
    fmt::print("Total params: {}, trainable params: {}, non-trainable params: {}\n",
               FashionCnn::trainable_parameter_count + FashionCnn::non_trainable_parameter_count,
               FashionCnn::trainable_parameter_count, FashionCnn::non_trainable_parameter_count);
    FashionCnn model(flags.seed);
    tn::Trainer<FashionCnn, tn::Adam, Loss, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    samples::TrainingFiles files(program, flags, trainer, "crossentropy");
    const auto resumed = files.resume();
    samples::prepare_output_folder(program, flags.out);  // only once every input has been read
    tn::History history;
    samples::run_or_exit(program, [&] {
        // fit_options seeds the trainer's dropout masks with the run's seed (on --resume, the checkpoint's).
        tn::fit(trainer, train, train_labels, test, test_labels, files.fit_options(resumed, history));
        files.finish("trained_fashion_cnn");

        // The logits in the inference phase, as fit's val_accuracy judged them.
        const std::vector<float> logits = tn::predict(model, trainer.workspace(), test.values());
        std::vector<float> probabilities(logits.size());
        LogitsToProbabilities::forward<tn::kernels::native_arch>(nullptr, logits.data(), probabilities.data(),
                                                                 logits.size() / samples::class_count, nullptr);
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
