// Anomaly detection by reconstruction error, as TensorFlow's "Intro to
// Autoencoders" ends: an autoencoder trained on normal examples alone
// reconstructs them better than anything else, so an example whose
// reconstruction error (its mean absolute error) reaches a threshold, the mean
// plus one standard deviation of the normal training examples' errors, is
// called an anomaly.
//
//   --normal-class K  Fashion-MNIST: the notebook's dense autoencoder trained on
//                     the training images of class K; the test images of the
//                     other nine classes are the anomalies.
//   --all-classes     the same for each class in turn, into metrics.csv.
//   --csv FILE        the tutorial's ECG detector on rows of 140 numbers and a
//                     label (1 = normal), split 80/20; its metrics.json has no
//                     normal_class, since the file's labels say which rows are normal.
//
// Accuracy, precision and recall take normal as the positive class, as the
// tutorial scores them; the ROC AUC takes the error as a score for anomalies.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/plot.hpp"
#include "common/sample_cli.hpp"
#include "notebook_models.hpp"
#include "typenet/io/csv.hpp"
#include "typenet/metrics.hpp"
#include "typenet/typenet.hpp"

namespace fs = std::filesystem;
namespace tn = typenet;

const std::string program = "anomaly_detection";

// The largest --batch this program accepts: 512 is the ECG detector's own batch.
constexpr std::size_t batch_capacity = 512;
constexpr std::size_t class_count = 10;

// The tutorial's ECG detector (notebook_models.hpp). The width of a row is part
// of its type, so this program reads CSV files of 140 values a row and no other.
using notebook::EcgDetector;
constexpr std::size_t ecg_width = notebook::ecg_width;

// One experiment's data, as rows of the model's input.
struct Experiment {
    std::vector<float> normal_training;
    std::vector<float> test;
    std::vector<std::uint8_t> test_is_normal;
};

struct Result {
    std::vector<double> normal_errors, anomalous_errors;  // of the test examples
    double threshold = 0.0;
    double auc = 0.0;
    tn::ConfusionMatrix matrix;  // normal is the positive class
};

// Scoring needs test examples of both kinds; `where` says which examples these are.
void require_both_kinds(std::span<const std::uint8_t> is_normal, const std::string& where) {
    const auto normal = static_cast<std::size_t>(std::count(is_normal.begin(), is_normal.end(), 1));
    if (normal == 0 || normal == is_normal.size())
        throw tn::DataError(fmt::format("{} hold {} normal and {} anomalous examples; scoring needs both", where,
                                        normal, is_normal.size() - normal));
}

// 1 for each label that is normal_class, 0 for the others.
std::vector<std::uint8_t> is_of_class(std::span<const std::uint8_t> labels, std::size_t normal_class) {
    std::vector<std::uint8_t> flags(labels.size());
    std::transform(labels.begin(), labels.end(), flags.begin(),
                   [normal_class](std::uint8_t label) { return label == normal_class; });
    return flags;
}

// A class must have training images to learn from, and its test images need others beside them.
void check_fashion_class(const tn::io::Dataset& data, const fs::path& folder, std::size_t normal_class) {
    const auto train_is_normal = is_of_class(data.train_labels, normal_class);
    if (std::count(train_is_normal.begin(), train_is_normal.end(), 1) == 0)
        throw tn::DataError(fmt::format("{}: no training image is of class {}", folder.string(), normal_class));
    require_both_kinds(is_of_class(data.test_labels, normal_class),
                       fmt::format("{}: the {} test images", folder.string(), data.test_labels.size()));
}

Experiment fashion_experiment(const tn::io::Dataset& data, const fs::path& folder, std::size_t normal_class) {
    check_fashion_class(data, folder, normal_class);
    const tn::Samples<tn::Shape<28, 28>> train{data.train_images.pixels};
    Experiment experiment;
    for (std::size_t i = 0; i < train.count(); ++i)
        if (data.train_labels[i] == normal_class)
            experiment.normal_training.insert(experiment.normal_training.end(), train.row(i),
                                              train.row(i) + tn::Shape<28, 28>::size);
    experiment.test = data.test_images.pixels;
    experiment.test_is_normal = is_of_class(data.test_labels, normal_class);
    return experiment;
}

// The tutorial's preparation: a seeded 80/20 split (the test share rounded up,
// as scikit-learn's train_test_split does), every value scaled by the training
// split's global minimum and maximum, and the normal training rows kept for training.
Experiment csv_experiment(const fs::path& file, std::uint64_t seed) {
    const tn::io::LabelledRows rows = tn::io::read_labelled_csv(file);
    if (rows.values_per_row != ecg_width)
        throw tn::DataError(fmt::format("{}: line {}: rows of {} values and a label, but this program's network is "
                                        "compiled for rows of {} (Input<{}>)",
                                        file.string(), rows.first_row_line, rows.values_per_row, ecg_width, ecg_width));
    const std::size_t count = rows.count(), test_count = (count + 4) / 5, train_count = count - test_count;
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    tn::Random random(seed, tn::Stream::split);
    random.shuffle(std::span(order));
    const auto train_rows = std::span(order).first(train_count), test_rows = std::span(order).subspan(train_count);
    const auto row = [&](std::size_t r) { return std::span(rows.values).subspan(r * ecg_width, ecg_width); };

    if (std::none_of(train_rows.begin(), train_rows.end(), [&](std::size_t r) { return rows.labels[r] == 1; }))
        throw tn::DataError(fmt::format("{}: the training split ({} of {} rows) holds no normal row (label 1)",
                                        file.string(), train_count, count));
    float low = std::numeric_limits<float>::infinity(), high = -low;
    for (const std::size_t r : train_rows)
        for (const float value : row(r)) {
            low = std::min(low, value);
            high = std::max(high, value);
        }
    if (!(high > low))
        throw tn::DataError(fmt::format("{}: every value of the training split is {}: there is no range to scale",
                                        file.string(), low));
    const auto append_scaled = [&](std::size_t r, std::vector<float>& into) {
        for (const float value : row(r)) into.push_back((value - low) / (high - low));
    };
    Experiment experiment;
    for (const std::size_t r : train_rows)
        if (rows.labels[r] == 1) append_scaled(r, experiment.normal_training);
    for (const std::size_t r : test_rows) {
        append_scaled(r, experiment.test);
        experiment.test_is_normal.push_back(rows.labels[r]);
    }
    require_both_kinds(experiment.test_is_normal,
                       fmt::format("{}: the test split's {} rows", file.string(), test_rows.size()));
    return experiment;
}

// Trains a fresh model on the normal training examples (validated on every
// test example, as the tutorial does) and scores the test examples.
template <class M, class Loss>
Result run_experiment(const Experiment& experiment, const samples::TrainingFlags& flags, bool verbose) {
    using Rows = tn::Samples<typename M::input_shape>;
    M model(flags.seed);
    tn::Trainer<M, tn::Adam, Loss, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    const Rows train{experiment.normal_training}, test{experiment.test};
    tn::FitOptions options;
    options.epochs = flags.epochs;
    options.batch_size = flags.batch;
    options.seed = flags.seed;
    options.verbose = verbose;
    tn::fit(trainer, train, train, test, test, options);

    const auto errors_of = [&](const std::vector<float>& rows) {
        return tn::mean_absolute_errors(rows, tn::predict(model, trainer.workspace(), rows), M::input_shape::size);
    };
    const std::vector<double> training_errors = errors_of(experiment.normal_training);
    const std::vector<double> test_errors = errors_of(experiment.test);
    const auto is_nan = [](double error) { return std::isnan(error); };
    if (std::any_of(training_errors.begin(), training_errors.end(), is_nan) ||
        std::any_of(test_errors.begin(), test_errors.end(), is_nan))
        samples::fail(program, samples::exit_data_error,
                      fmt::format("training diverged: reconstruction errors are NaN (--learning-rate {} is too large?)",
                                  flags.learning_rate));

    Result result;
    for (std::size_t i = 0; i < test_errors.size(); ++i)
        (experiment.test_is_normal[i] ? result.normal_errors : result.anomalous_errors).push_back(test_errors[i]);
    result.threshold = tn::anomaly_threshold(training_errors);
    result.matrix = tn::confusion_matrix(result.normal_errors, result.anomalous_errors,
                                         [threshold = result.threshold](double error) { return error < threshold; });
    result.auc = tn::roc_auc(result.anomalous_errors, result.normal_errors);
    return result;
}

// errors.png --------------------------------------------------------------

// The tutorial's histograms of the test examples' errors, normal against
// anomalous, on one axis with the threshold between them.
void write_error_histograms(const fs::path& file, const Result& result) {
    samples::plot::HistogramPlot figure{
        .title = "reconstruction errors of the test examples",
        .x_label = "reconstruction error (mean absolute error)",
        .histograms = {{.name = fmt::format("normal ({})", result.normal_errors.size()), .values = result.normal_errors},
                       {.name = fmt::format("anomalous ({})", result.anomalous_errors.size()),
                        .values = result.anomalous_errors}},
        .markers = {{.name = fmt::format("threshold {:.4f}", result.threshold), .x = result.threshold}}};
    samples::plot::write_histograms(file, figure);
}

// Output -------------------------------------------------------------------

// Prints the figures and writes metrics.json and errors.png. metrics.json
// starts with `leading`: normal_class for Fashion-MNIST, nothing for a CSV file.
void report(const Result& result, const fs::path& out, const nlohmann::ordered_json& leading) {
    fmt::print("threshold: {:.5f} (mean + standard deviation of the normal training examples' errors)\n",
               result.threshold);
    fmt::print("test: {} normal, {} anomalous; normal below the threshold is the positive class\n",
               result.normal_errors.size(), result.anomalous_errors.size());
    fmt::print("accuracy: {:.5f}\nprecision: {:.5f}\nrecall: {:.5f}\n", result.matrix.accuracy(),
               result.matrix.precision(), result.matrix.recall());
    nlohmann::ordered_json metrics = leading;
    metrics["auc"] = result.auc;
    metrics["accuracy"] = result.matrix.accuracy();
    metrics["precision"] = result.matrix.precision();
    metrics["recall"] = result.matrix.recall();
    metrics["threshold"] = result.threshold;
    metrics["test_normal_count"] = result.normal_errors.size();
    metrics["test_anomalous_count"] = result.anomalous_errors.size();
    tn::io::write_text_file_atomically(out / "metrics.json", metrics.dump(2) + "\n");
    write_error_histograms(out / "errors.png", result);
    fmt::print("wrote {}, {}\n", (out / "metrics.json").string(), (out / "errors.png").string());
    fmt::print("auc: {:.5f}\n", result.auc);
}

void run_all_classes(const tn::io::Dataset& data, const samples::TrainingFlags& flags) {
    std::string table = "class,auc,accuracy,precision,recall,threshold\n";
    double auc_sum = 0.0;
    for (std::size_t normal_class = 0; normal_class < class_count; ++normal_class) {
        const auto start = std::chrono::steady_clock::now();
        const Result result = run_experiment<notebook::DenseAutoencoder, tn::MSE>(
            fashion_experiment(data, flags.data, normal_class), flags, false);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto& m = result.matrix;
        table += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", normal_class, result.auc, m.accuracy(),
                             m.precision(), m.recall(), result.threshold);
        fmt::print("class {}: auc {:.4f}  accuracy {:.4f}  precision {:.4f}  recall {:.4f}  threshold {:.5f}  "
                   "({:.1f} s)\n",
                   normal_class, result.auc, m.accuracy(), m.precision(), m.recall(), result.threshold, seconds);
        std::fflush(stdout);
        auc_sum += result.auc;
    }
    tn::io::write_text_file_atomically(flags.out / "metrics.csv", table);
    fmt::print("wrote {}\n", (flags.out / "metrics.csv").string());
    fmt::print("mean auc: {:.5f}\n", auc_sum / class_count);
}

int main(int argc, char** argv) {
    CLI::App app{"Detects anomalies by reconstruction error, as TensorFlow's autoencoder tutorial ends: an "
                 "autoencoder trained on normal examples only, a threshold at the mean + one standard deviation of "
                 "their errors.",
                 program};
    samples::TrainingFlags flags;
    flags.out = "out/anomaly";
    samples::add_training_flags(app, flags, batch_capacity);
    std::size_t normal_class = 0;
    bool all_classes = false;
    fs::path csv_file;
    auto* class_option =
        app.add_option("--normal-class", normal_class,
                       "the Fashion-MNIST class (0 to 9) trained on as normal; the other nine are the anomalies")
            ->capture_default_str()
            ->check(samples::whole_number())
            ->check(samples::between(0, class_count - 1, "a class from 0 to 9"));
    auto* all_option =
        app.add_flag("--all-classes", all_classes, "each class as the normal one in turn, a fresh model each; "
                                                   "writes metrics.csv");
    auto* csv_option = app.add_option("--csv", csv_file,
                                      fmt::format("the tutorial's ECG detector on a CSV file: rows of {} numbers and "
                                                  "a label (1 normal, 0 anomalous), an optional header row",
                                                  ecg_width));
    class_option->excludes(all_option)->excludes(csv_option);
    all_option->excludes(csv_option);
    csv_option->excludes(app.get_option("--data"));
    app.footer("With --csv, --epochs defaults to 20 and --batch to 512, as the tutorial trains its ECG detector.\n"
               "Writes metrics.json and errors.png into --out (metrics.csv with --all-classes).\n"
               "Exit codes: 0 done, 1 bad data, 2 bad usage, 3 training met a non-finite loss or gradient.");
    samples::parse_flags(app, argc, argv);
    if (csv_option->count() > 0) samples::print_summary_if_asked<EcgDetector>(flags);
    samples::print_summary_if_asked<notebook::DenseAutoencoder>(flags);

    samples::run_or_exit(program, [&] {
        if (csv_option->count() > 0) {
            if (app.count("--epochs") == 0) flags.epochs = 20;
            if (app.count("--batch") == 0) flags.batch = 512;
            const Experiment experiment = csv_experiment(csv_file, flags.seed);
            samples::prepare_output_folder(program, flags.out);
            fmt::print("{}: {} normal training rows; {} test rows\n", csv_file.string(),
                       experiment.normal_training.size() / ecg_width, experiment.test_is_normal.size());
            report(run_experiment<EcgDetector, tn::MAE>(experiment, flags, true), flags.out,
                   nlohmann::ordered_json::object());
            return;
        }
        const auto data = samples::load_data_or_exit(program, flags.data);
        if (all_classes) {
            // Every class's data checked before the out folder is made, as a single run does.
            for (std::size_t k = 0; k < class_count; ++k) check_fashion_class(data, flags.data, k);
            samples::prepare_output_folder(program, flags.out);
            run_all_classes(data, flags);
            return;
        }
        const Experiment experiment = fashion_experiment(data, flags.data, normal_class);
        samples::prepare_output_folder(program, flags.out);
        fmt::print("Fashion-MNIST from {}: class {} is normal: {} training images; {} test images\n",
                   flags.data.string(), normal_class, experiment.normal_training.size() / tn::Shape<28, 28>::size,
                   experiment.test_is_normal.size());
        report(run_experiment<notebook::DenseAutoencoder, tn::MSE>(experiment, flags, true), flags.out,
               {{"normal_class", normal_class}});
    });
}
