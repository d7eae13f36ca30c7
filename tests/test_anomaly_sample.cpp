// The anomaly detection sample as its users meet it: the program run with
// flags, judged by its exit code, what it prints and what it leaves in --out.
// The shared flags are tested at length in test_dense_sample.cpp; here are
// this sample's own flags, its three modes on small data, and its CSV reader's
// complaints, which must name the file and the line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <numbers>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/idx_files.hpp"
#include "support/run_program.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using typenet::testing::Bytes;
using typenet::testing::ProgramResult;

const fs::path sample = TYPENET_SAMPLES_DIR "/anomaly_detection";
constexpr int exit_data_error = 1, exit_usage_error = 2;
// The CSV width the sample's network is compiled for.
constexpr std::size_t ecg_width = 140;

// 2000 training images (about 200 a class) and 500 test images.
const typenet::testing::FashionMnist& small_data() {
    static const auto data = typenet::testing::small_fashion_mnist(2000, 500);
    return data;
}

// Rows like ECG5000's: normal rows (label 1) two periods of a sine, anomalous
// rows (label 0) three, each with a little noise and a random phase. Both
// kinds take the same values, only in another order, so that only a model
// that has learnt the normal shape tells them apart. Optionally a header row first.
std::string ecg_like_csv(std::size_t normal_rows, std::size_t anomalous_rows, std::size_t width, bool header) {
    std::mt19937 random(3);
    std::uniform_real_distribution<double> noise(-0.05, 0.05), phase(-0.3, 0.3);
    std::vector<int> labels(normal_rows, 1);
    labels.resize(normal_rows + anomalous_rows, 0);
    std::shuffle(labels.begin(), labels.end(), random);
    std::string text;
    if (header) {
        for (std::size_t t = 0; t < width; ++t) text += "t" + std::to_string(t) + ",";
        text += "label\n";
    }
    for (const int label : labels) {
        const double shift = phase(random);
        for (std::size_t t = 0; t < width; ++t) {
            const double x = 2.0 * std::numbers::pi * static_cast<double>(t) / static_cast<double>(width);
            const double value = std::sin((label == 1 ? 2.0 : 3.0) * x + shift);
            text += std::to_string(value + noise(random)) + ",";
        }
        text += label == 1 ? "1\n" : "0\n";
    }
    return text;
}

void write_text(const fs::path& path, std::string_view text) {
    typenet::testing::write_file(path, Bytes(text.begin(), text.end()));
}

nlohmann::json read_json(const fs::path& path) {
    const Bytes bytes = typenet::testing::read_file(path);
    return nlohmann::json::parse(bytes.begin(), bytes.end());
}

// The width and height in a PNG file's IHDR, which follows its signature.
std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& path) {
    const Bytes png = typenet::testing::read_file(path);
    const Bytes signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (png.size() < 24 || !std::equal(signature.begin(), signature.end(), png.begin())) return {0, 0};
    const auto word = [&](std::size_t at) {
        return std::uint32_t{png[at]} << 24 | std::uint32_t{png[at + 1]} << 16 | std::uint32_t{png[at + 2]} << 8 |
               std::uint32_t{png[at + 3]};
    };
    return {word(16), word(20)};
}

class AnomalySample : public ::testing::Test {
protected:
    [[nodiscard]] fs::path write_data() const {
        const fs::path folder = scratch_ / "fashion mnist";
        typenet::testing::write_fashion_mnist(folder, small_data(), typenet::testing::Compression::plain);
        return folder;
    }

    [[nodiscard]] static ProgramResult run(const std::vector<std::string>& arguments) {
        return typenet::testing::run_program(sample, arguments);
    }

    // metrics.json's scores are all within [0, 1]; the threshold is a positive error.
    static void expect_metrics(const nlohmann::json& metrics) {
        for (const char* key : {"auc", "accuracy", "precision", "recall", "threshold"}) {
            ASSERT_TRUE(metrics.contains(key) && metrics[key].is_number()) << key << " in " << metrics.dump();
            const double value = metrics[key];
            EXPECT_TRUE(value >= 0.0 && value <= 1.0) << key << " = " << value;
        }
        EXPECT_GT(metrics["threshold"].get<double>(), 0.0);
    }

    typenet::testing::TempDir scratch_;
    const fs::path out_ = scratch_ / "out dir";
};

TEST_F(AnomalySample, HelpListsItsOwnFlagsAndExitsZero) {
    const ProgramResult result = run({"--help"});
    EXPECT_EQ(result.exit_code, 0) << result;
    for (const char* flag : {"--normal-class", "--all-classes", "--csv", "--epochs", "--batch", "--seed", "--out"})
        EXPECT_THAT(result.out, HasSubstr(flag)) << result;
}

struct UsageCase {
    std::string name;
    std::vector<std::string> arguments;
    std::string flag;  // what the error line must mention
};

void PrintTo(const UsageCase& usage_case, std::ostream* stream) { *stream << usage_case.name; }

class AnomalySampleUsageError : public AnomalySample, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(AnomalySampleUsageError, ExitsTwoWithOneLineNamingTheFlag) {
    std::vector<std::string> arguments{"--out", out_.string()};
    arguments.insert(arguments.end(), GetParam().arguments.begin(), GetParam().arguments.end());
    const ProgramResult result = run(arguments);
    EXPECT_EQ(result.exit_code, exit_usage_error) << result;
    const auto lines = typenet::testing::lines_of(result.err);
    ASSERT_EQ(lines.size(), 1u) << "stderr must be one line:\n" << result.err;
    EXPECT_THAT(lines.front(), HasSubstr(GetParam().flag));
    EXPECT_FALSE(fs::exists(out_));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, AnomalySampleUsageError,
    ::testing::Values(UsageCase{"NormalClassTen", {"--normal-class", "10"}, "--normal-class"},
                      UsageCase{"NormalClassNegative", {"--normal-class", "-1"}, "--normal-class"},
                      UsageCase{"NormalClassNotANumber", {"--normal-class", "shirt"}, "--normal-class"},
                      UsageCase{"NormalClassWithAllClasses", {"--normal-class", "1", "--all-classes"}, "--all-classes"},
                      UsageCase{"CsvWithNormalClass", {"--csv", "ecg.csv", "--normal-class", "1"}, "--csv"},
                      UsageCase{"CsvWithAllClasses", {"--all-classes", "--csv", "ecg.csv"}, "--csv"},
                      UsageCase{"CsvWithData", {"--csv", "ecg.csv", "--data", "folder"}, "--data"},
                      UsageCase{"BatchAboveCapacity", {"--batch", "513"}, "--batch"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

TEST_F(AnomalySample, MissingDataFolderIsADataError) {
    const ProgramResult result = run({"--data", (scratch_ / "nowhere").string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr("nowhere"));
    EXPECT_FALSE(fs::exists(out_));
}

TEST_F(AnomalySample, OneNormalClassWritesMetricsAndTheFigure) {
    const ProgramResult result =
        run({"--normal-class", "1", "--epochs", "2", "--data", write_data().string(), "--out", out_.string()});
    ASSERT_EQ(result.exit_code, 0) << result;
    SCOPED_TRACE("images from " + small_data().source);
    const auto metrics = read_json(out_ / "metrics.json");
    expect_metrics(metrics);
    EXPECT_EQ(metrics["normal_class"], 1);
    // Trousers (or the synthetic class 1) stand out well above chance even after two short epochs.
    EXPECT_GT(metrics["auc"].get<double>(), 0.6);
    const std::size_t normal = std::count(small_data().test_labels.begin(), small_data().test_labels.end(), 1);
    EXPECT_EQ(metrics["test_normal_count"], normal);
    EXPECT_EQ(metrics["test_anomalous_count"], small_data().test_count() - normal);
    // The last line says the AUC of metrics.json.
    const std::string last = typenet::testing::lines_of(result.out).back();
    ASSERT_TRUE(last.starts_with("auc: ")) << result;
    EXPECT_NEAR(std::stod(last.substr(5)), metrics["auc"].get<double>(), 1e-5);
    const auto [width, height] = png_size(out_ / "errors.png");
    EXPECT_GT(width, 100u) << "errors.png is not a PNG file of a sensible size";
    EXPECT_GT(height, 100u);
}

// Every class in turn, each from the same seed: each row is the run of that class on its own.
TEST_F(AnomalySample, AllClassesWritesTenRowsEachAsItsOwnRunWouldScore) {
    const fs::path data = write_data();
    const ProgramResult all = run({"--all-classes", "--epochs", "1", "--data", data.string(), "--out", out_.string()});
    ASSERT_EQ(all.exit_code, 0) << all;
    const Bytes bytes = typenet::testing::read_file(out_ / "metrics.csv");
    const auto rows = typenet::testing::lines_of(std::string(bytes.begin(), bytes.end()));
    ASSERT_EQ(rows.size(), 11u) << "a header and one row per class";
    EXPECT_EQ(rows[0], "class,auc,accuracy,precision,recall,threshold");
    double auc_sum = 0.0;
    std::vector<double> aucs;
    for (std::size_t k = 0; k < 10; ++k) {
        std::array<double, 6> fields{};
        const char* first = rows[k + 1].data();
        const char* const last = first + rows[k + 1].size();
        for (double& field : fields) {
            const auto [end, error] = std::from_chars(first, last, field);
            ASSERT_EQ(error, std::errc{}) << rows[k + 1];
            first = end == last ? end : end + 1;
        }
        EXPECT_EQ(fields[0], static_cast<double>(k));
        for (std::size_t f = 1; f < 5; ++f) EXPECT_TRUE(fields[f] >= 0 && fields[f] <= 1) << rows[k + 1];
        aucs.push_back(fields[1]);
        auc_sum += fields[1];
    }
    const std::string last = typenet::testing::lines_of(all.out).back();
    ASSERT_TRUE(last.starts_with("mean auc: ")) << all;
    EXPECT_NEAR(std::stod(last.substr(10)), auc_sum / 10, 1e-5);
    EXPECT_FALSE(fs::exists(out_ / "metrics.json"));

    const fs::path single = scratch_ / "class 3";
    ASSERT_EQ(run({"--normal-class", "3", "--epochs", "1", "--data", data.string(), "--out", single.string()}).exit_code, 0);
    EXPECT_NEAR(read_json(single / "metrics.json")["auc"].get<double>(), aucs[3], 1e-6);
}

// With the tutorial's 20 epochs of batches of 512: here one step an epoch.
TEST_F(AnomalySample, CsvOfEcgLikeRowsTellsAnomaliesApart) {
    const fs::path csv = scratch_ / "ecg like.csv";
    write_text(csv, ecg_like_csv(200, 100, ecg_width, true));
    const ProgramResult result = run({"--csv", csv.string(), "--out", out_.string()});
    ASSERT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, HasSubstr("Epoch 20/20 - 1/1 steps")) << result;
    const auto metrics = read_json(out_ / "metrics.json");
    expect_metrics(metrics);
    EXPECT_FALSE(metrics.contains("normal_class")) << metrics.dump();
    EXPECT_EQ(metrics["test_normal_count"].get<int>() + metrics["test_anomalous_count"].get<int>(), 60)
        << "the test split is a fifth of the 300 rows";
    EXPECT_GT(metrics["auc"].get<double>(), 0.9) << result;
    EXPECT_GT(png_size(out_ / "errors.png").first, 100u);
}

TEST_F(AnomalySample, CsvTakesEpochsAndBatchFromTheFlags) {
    const fs::path csv = scratch_ / "ecg.csv";
    write_text(csv, ecg_like_csv(200, 100, ecg_width, false));
    const ProgramResult result = run({"--csv", csv.string(), "--epochs", "2", "--batch", "64", "--out", out_.string()});
    ASSERT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, HasSubstr("Epoch 2/2")) << result;
    EXPECT_THAT(result.out, Not(HasSubstr("Epoch 3/"))) << result;
    EXPECT_THAT(result.out, Not(HasSubstr("1/1 steps"))) << "some 160 normal rows make several batches of 64";
    expect_metrics(read_json(out_ / "metrics.json"));
}

TEST_F(AnomalySample, CsvOfAnotherWidthNamesBothWidths) {
    const fs::path csv = scratch_ / "narrow.csv";
    write_text(csv, ecg_like_csv(20, 10, ecg_width - 1, true));
    const ProgramResult result = run({"--csv", csv.string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr(csv.string()));
    EXPECT_THAT(result.err, HasSubstr("line 2"));
    EXPECT_THAT(result.err, HasSubstr("139"));
    EXPECT_THAT(result.err, HasSubstr("140"));
    EXPECT_FALSE(fs::exists(out_));
}

struct CsvCase {
    std::string name;
    std::string text;
    std::string problem;  // words the message must hold besides the file's name
};

void PrintTo(const CsvCase& csv_case, std::ostream* stream) { *stream << csv_case.name; }

class AnomalySampleCsvError : public AnomalySample, public ::testing::WithParamInterface<CsvCase> {};

TEST_P(AnomalySampleCsvError, ExitsOneNamingTheFileAndTheLine) {
    const fs::path csv = scratch_ / "bad.csv";
    write_text(csv, GetParam().text);
    const ProgramResult result = run({"--csv", csv.string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr(csv.string())) << result;
    EXPECT_THAT(result.err, HasSubstr(GetParam().problem)) << result;
    EXPECT_THAT(result.err, Not(HasSubstr("\n\n"))) << result;
    EXPECT_FALSE(fs::exists(out_));
}

// The first lines of a good file with one line replaced (counted from 1).
std::string with_line(std::size_t line, const std::string& replacement) {
    const auto lines = typenet::testing::lines_of(ecg_like_csv(8, 4, ecg_width, true));
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) text += (i + 1 == line ? replacement : lines[i]) + "\n";
    return text;
}

std::string row_of(std::size_t values, std::string_view label) {
    std::string row;
    for (std::size_t i = 0; i < values; ++i) row += "0.5,";
    return row + std::string(label);
}

INSTANTIATE_TEST_SUITE_P(
    Files, AnomalySampleCsvError,
    ::testing::Values(CsvCase{"Empty", "", "empty"},
                      CsvCase{"HeaderOnly", "t0,t1,label\n", "no rows"},
                      CsvCase{"RaggedRow", with_line(5, row_of(ecg_width - 1, "1")), "line 5: 140 cells"},
                      CsvCase{"NotANumber", with_line(4, row_of(ecg_width, "1").replace(8, 3, "abc")),
                              "line 4, column 3: \"abc\""},
                      CsvCase{"Infinite", with_line(3, "inf," + row_of(ecg_width - 1, "0")), "line 3, column 1"},
                      CsvCase{"LabelTwo", with_line(6, row_of(ecg_width, "2")), "line 6: the label"},
                      CsvCase{"NoAnomalies", ecg_like_csv(30, 0, ecg_width, false), "normal and 0 anomalous"}),
    [](const ::testing::TestParamInfo<CsvCase>& info) { return info.param.name; });

TEST_F(AnomalySample, MissingCsvFileIsADataError) {
    const ProgramResult result = run({"--csv", (scratch_ / "absent.csv").string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr("absent.csv"));
    EXPECT_FALSE(fs::exists(out_));
}

}  // namespace
