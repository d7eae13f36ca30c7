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
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/sample_cli.hpp"
#include "notebook_models.hpp"
#include "typenet/io/csv.hpp"
#include "typenet/io/png.hpp"
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

// A 3x5 pixel font for the figure's few words and numbers: five rows of three
// bits a glyph, the high bit on the left. Other characters are left blank.
constexpr std::string_view font_characters = "0123456789.ADEHILMNORST";
constexpr std::uint8_t font_rows[][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7},
    {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}, {0, 0, 0, 0, 2}, {2, 5, 7, 5, 5},
    {6, 5, 5, 5, 6}, {7, 4, 6, 4, 7}, {5, 5, 7, 5, 5}, {7, 2, 2, 2, 7}, {4, 4, 4, 4, 7}, {5, 7, 7, 5, 5},
    {6, 5, 5, 5, 5}, {2, 5, 5, 5, 2}, {6, 5, 6, 5, 5}, {3, 4, 2, 1, 6}, {7, 2, 2, 2, 2}};
static_assert(std::size(font_rows) == font_characters.size());
constexpr std::size_t text_scale = 2, glyph_advance = 4 * text_scale, text_height = 5 * text_scale;

void fill(tn::io::GrayImage& canvas, std::size_t x, std::size_t y, std::size_t width, std::size_t height, float value) {
    for (std::size_t row = y; row < std::min(y + height, canvas.height); ++row)
        for (std::size_t column = x; column < std::min(x + width, canvas.width); ++column)
            canvas.pixels[row * canvas.width + column] = value;
}

// Upper-case text with its top-left corner at (x, y).
void draw_text(tn::io::GrayImage& canvas, std::string_view text, std::size_t x, std::size_t y) {
    for (const char character : text) {
        if (const auto glyph = font_characters.find(character); glyph != std::string_view::npos)
            for (std::size_t row = 0; row < 5; ++row)
                for (std::size_t bit = 0; bit < 3; ++bit)
                    if (font_rows[glyph][row] >> (2 - bit) & 1)
                        fill(canvas, x + bit * text_scale, y + row * text_scale, text_scale, text_scale, 0.0f);
        x += glyph_advance;
    }
}

// The error below which a share `fraction` of the errors lies (nearest rank).
double quantile(std::vector<double> errors, double fraction) {
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(errors.size() - 1));
    std::nth_element(errors.begin(), errors.begin() + static_cast<std::ptrdiff_t>(rank), errors.end());
    return errors[rank];
}

// Histograms of the test examples' errors on one axis: normal above,
// anomalous below, each scaled to its own tallest bar (there are often far
// more of one kind), and the threshold a black line across both. The axis
// spans the 0.5th to the 99.5th percentile of the errors (and the threshold),
// so that a few extreme errors do not squeeze the rest into one bar; the
// errors beyond are counted in the bars at its ends.
tn::io::GrayImage error_histograms(const Result& result) {
    constexpr std::size_t bins = 64, bar = 10, margin = 24, plot_width = bins * bar;
    constexpr std::size_t panel_height = 150, caption = text_height + 8, panel_gap = 16;
    std::vector<double> all = result.normal_errors;
    all.insert(all.end(), result.anomalous_errors.begin(), result.anomalous_errors.end());
    const double low = std::min(quantile(all, 0.005), result.threshold);
    const double high = std::max(quantile(all, 0.995), result.threshold);
    // A margin of 5% each side; never none, so that equal errors still make an axis.
    const double pad = 0.05 * (high - low) + 1e-9;
    const double axis_start = std::max(0.0, low - pad), axis_end = high + pad;
    const auto position = [&](double error) {
        return std::clamp((error - axis_start) / (axis_end - axis_start), 0.0, 1.0);
    };
    const auto bin_of = [&](double error) {
        return std::min(bins - 1, static_cast<std::size_t>(position(error) * bins));
    };

    const std::size_t width = plot_width + 2 * margin;
    const std::size_t first_panel = margin + caption, second_panel = first_panel + panel_height + panel_gap + caption;
    const std::size_t height = second_panel + panel_height + caption + margin;
    auto canvas = tn::io::make_canvas(width, height, 1.0f);

    const auto draw_panel = [&](std::span<const double> errors, std::string_view name, std::size_t top) {
        std::vector<std::size_t> counts(bins, 0);
        for (const double error : errors) ++counts[bin_of(error)];
        const std::size_t tallest = std::max<std::size_t>(1, *std::max_element(counts.begin(), counts.end()));
        for (std::size_t b = 0; b < bins; ++b) {
            const std::size_t bar_height = (counts[b] * panel_height + tallest - 1) / tallest;
            fill(canvas, margin + b * bar, top + panel_height - bar_height, bar - 1, bar_height, 0.6f);
        }
        fill(canvas, margin, top + panel_height, plot_width, 1, 0.0f);
        draw_text(canvas, fmt::format("{} {}", name, errors.size()), margin, top - caption);
    };
    draw_panel(result.normal_errors, "NORMAL", first_panel);
    draw_panel(result.anomalous_errors, "ANOMALIES", second_panel);

    const auto line_x = margin + static_cast<std::size_t>(position(result.threshold) * (plot_width - 2));
    fill(canvas, line_x, first_panel, 2, second_panel + panel_height - first_panel, 0.0f);
    const std::string label = fmt::format("THRESHOLD {:.4f}", result.threshold);
    const std::size_t label_width = label.size() * glyph_advance;
    draw_text(canvas, label, line_x + 6 + label_width <= width - margin ? line_x + 6 : line_x - 4 - label_width,
              first_panel + 4);
    const std::size_t axis_labels = second_panel + panel_height + 6;
    draw_text(canvas, fmt::format("{:.4f}", axis_start), margin, axis_labels);
    const std::string end_label = fmt::format("{:.4f}", axis_end);
    draw_text(canvas, end_label, margin + plot_width - end_label.size() * glyph_advance, axis_labels);
    return canvas;
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
    tn::io::write_png(out / "errors.png", error_histograms(result));
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
