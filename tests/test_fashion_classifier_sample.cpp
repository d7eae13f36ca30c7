// The fashion_classifier sample (TensorFlow's basic classification tutorial)
// as its users meet it: the program run with flags, judged by its exit code,
// its last line and what it leaves in --out. The flags it shares with the
// other samples are tested at length in test_dense_sample.cpp; here each kind
// of usage error once, the data error, one short run's files, --resume and the exports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "support/idx_files.hpp"
#include "support/run_program.hpp"

namespace {

namespace fs = std::filesystem;
namespace tt = typenet::testing;
using ::testing::HasSubstr;
using tt::Bytes;
using tt::ProgramResult;

const fs::path sample = TYPENET_SAMPLES_DIR "/fashion_classifier";
constexpr int exit_data_error = 1, exit_usage_error = 2;
const std::regex test_accuracy_line(R"(test_accuracy: [01]\.\d{4})");
const std::vector<std::string> class_names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string text_of(const Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

// The numbers of one row of history.csv, or nothing if it is not six numbers.
std::optional<std::array<double, 6>> numbers_of(const std::string& row) {
    std::array<double, 6> numbers{};
    const char* first = row.data();
    const char* const last = row.data() + row.size();
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        const auto [end, error] = std::from_chars(first, last, numbers[i]);
        const bool last_field = i + 1 == numbers.size();
        if (error != std::errc{} || (last_field ? end != last : end == last || *end != ',')) return std::nullopt;
        first = end + 1;
    }
    return numbers;
}

// A PNG file's width and height, from its IHDR chunk; nothing if it is not a PNG.
std::optional<std::array<std::uint32_t, 2>> png_size(const Bytes& png) {
    const Bytes signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (png.size() < 24 || !std::equal(signature.begin(), signature.end(), png.begin())) return std::nullopt;
    const auto big_endian = [&](std::size_t at) {
        return std::uint32_t{png[at]} << 24 | std::uint32_t{png[at + 1]} << 16 | std::uint32_t{png[at + 2]} << 8 |
               std::uint32_t{png[at + 3]};
    };
    return std::array{big_endian(16), big_endian(20)};
}

// Each row of history.csv without its last column, the epoch's wall time.
std::vector<std::string> history_without_seconds(const fs::path& file) {
    std::vector<std::string> rows = tt::lines_of(text_of(tt::read_file(file)));
    for (auto& row : rows) row.resize(row.rfind(','));
    return rows;
}

class FashionClassifierSample : public ::testing::Test {
protected:
    // 512 training and 256 test images: an epoch takes a fraction of a second.
    static void SetUpTestSuite() {
        data_ = new tt::TempDir("typenet classifier data ");
        tt::write_fashion_mnist(data_->path(), tt::small_fashion_mnist(512, 256), tt::Compression::gzip);
    }
    static void TearDownTestSuite() { delete data_; }

    // A run on the small data into `out`, on two threads so that runs compare bit for bit.
    [[nodiscard]] static ProgramResult train(const fs::path& out, const std::vector<std::string>& flags) {
        std::vector<std::string> arguments{"--data", data_->path().string(), "--out", out.string(), "--threads", "2"};
        arguments.insert(arguments.end(), flags.begin(), flags.end());
        return tt::run_program(sample, arguments);
    }

    static void expect_success(const ProgramResult& result) {
        ASSERT_EQ(result.exit_code, 0) << result;
        const std::vector<std::string> lines = tt::lines_of(result.out);
        ASSERT_FALSE(lines.empty()) << result;
        EXPECT_TRUE(std::regex_match(lines.back(), test_accuracy_line)) << "last line: " << lines.back() << '\n'
                                                                        << result;
    }

    tt::TempDir scratch_{"typenet classifier "};
    const fs::path out_ = scratch_ / "out dir";
    static tt::TempDir* data_;
};
tt::TempDir* FashionClassifierSample::data_ = nullptr;

TEST_F(FashionClassifierSample, HelpListsTheFlagsAndExitsZero) {
    const ProgramResult result = tt::run_program(sample, {"--help"});
    EXPECT_EQ(result.exit_code, 0) << result;
    for (const char* flag : {"--epochs", "--batch", "--learning-rate", "--seed", "--threads", "--data", "--out",
                             "--resume", "--export-header", "--export-safetensors"})
        EXPECT_THAT(result.out, HasSubstr(flag)) << result;
    EXPECT_EQ(result.err, "") << result;
}

struct UsageCase {
    std::string name;
    std::vector<std::string> arguments;
    std::string flag;  // what the error line must name
};

void PrintTo(const UsageCase& usage_case, std::ostream* stream) { *stream << usage_case.name; }

class FashionClassifierUsageError : public FashionClassifierSample, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(FashionClassifierUsageError, ExitsTwoWithOneLineNamingTheFlag) {
    const ProgramResult result = train(out_, GetParam().arguments);
    EXPECT_EQ(result.exit_code, exit_usage_error) << result;
    const std::vector<std::string> lines = tt::lines_of(result.err);
    ASSERT_EQ(lines.size(), 1u) << "stderr must be one line:\n" << result.err;
    EXPECT_THAT(lines.front(), HasSubstr(GetParam().flag));
    EXPECT_FALSE(fs::exists(out_));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, FashionClassifierUsageError,
    ::testing::Values(UsageCase{"UnknownFlag", {"--epoch", "3"}, "--epoch"},
                      UsageCase{"EpochsZero", {"--epochs", "0"}, "--epochs"},
                      UsageCase{"BatchAboveCapacity", {"--batch", "257"}, "--batch"},
                      UsageCase{"LearningRateNaN", {"--learning-rate", "nan"}, "--learning-rate"},
                      UsageCase{"ThreadsZero", {"--threads", "0"}, "--threads"},
                      UsageCase{"ResumeWithoutValue", {"--resume"}, "--resume"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

TEST_F(FashionClassifierSample, MissingDataFolderExitsOneNamingItAndMakesNoOutFolder) {
    const fs::path missing = scratch_ / "no such data";
    const ProgramResult result = tt::run_program(sample, {"--data", missing.string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr(missing.string())) << result;
    EXPECT_FALSE(fs::exists(out_));
}

TEST_F(FashionClassifierSample, OneEpochWritesEveryFile) {
    const ProgramResult result = train(out_, {"--epochs", "1", "--batch", "16"});
    expect_success(result);

    const std::vector<std::string> rows = tt::lines_of(text_of(tt::read_file(out_ / "history.csv")));
    ASSERT_EQ(rows.size(), 2u) << "history.csv: a header and one row per epoch";
    EXPECT_EQ(rows[0], "epoch,loss,accuracy,val_loss,val_accuracy,seconds");
    const auto numbers = numbers_of(rows[1]);
    ASSERT_TRUE(numbers) << "not six numbers: " << rows[1];
    const auto [epoch, loss, accuracy, val_loss, val_accuracy, seconds] = *numbers;
    EXPECT_EQ(epoch, 1.0);
    EXPECT_GT(loss, 0.0);
    EXPECT_GT(val_loss, 0.0);
    EXPECT_GE(seconds, 0.0);
    for (const double share : {accuracy, val_accuracy}) {
        EXPECT_GT(share, 0.2) << "no better than chance: " << rows[1];
        EXPECT_LE(share, 1.0) << rows[1];
    }

    // The last line, metrics.json and history.csv tell the same test accuracy.
    const double printed = std::stod(tt::lines_of(result.out).back().substr(std::string_view("test_accuracy: ").size()));
    EXPECT_NEAR(printed, val_accuracy, 0.5e-4);
    const auto metrics = nlohmann::json::parse(text_of(tt::read_file(out_ / "metrics.json")));
    EXPECT_NEAR(metrics.at("test_accuracy").get<double>(), val_accuracy, 1e-6);
    EXPECT_NEAR(metrics.at("test_loss").get<double>(), val_loss, 1e-6);
    EXPECT_EQ(metrics.at("test_count").get<std::size_t>(), 256u);
    const auto& classes = metrics.at("classes");
    ASSERT_EQ(classes.size(), class_names.size());
    std::size_t support = 0;
    for (std::size_t k = 0; k < classes.size(); ++k) {
        EXPECT_EQ(classes[k].at("class").get<std::size_t>(), k);
        EXPECT_EQ(classes[k].at("name").get<std::string>(), class_names[k]);
        for (const char* ratio : {"precision", "recall"}) {
            EXPECT_GE(classes[k].at(ratio).get<double>(), 0.0) << k << ' ' << ratio;
            EXPECT_LE(classes[k].at(ratio).get<double>(), 1.0) << k << ' ' << ratio;
        }
        support += classes[k].at("support").get<std::size_t>();
    }
    EXPECT_EQ(support, 256u);

    // The confusion matrix at plot.hpp's size; 30 predictions in three rows of
    // ten, each under two title lines (see plot.hpp for the layout).
    const auto confusion = png_size(tt::read_file(out_ / "confusion.png"));
    ASSERT_TRUE(confusion) << "confusion.png is not a PNG";
    EXPECT_EQ(*confusion, (std::array<std::uint32_t, 2>{760, 680}));
    const auto predictions = png_size(tt::read_file(out_ / "predictions.png"));
    ASSERT_TRUE(predictions) << "predictions.png is not a PNG";
    EXPECT_EQ((*predictions)[1], 30u + 4u + 3u * (2u * 14u + 4u + 28u * 4u + 4u));
    EXPECT_GE((*predictions)[0], 10u * (28u * 4u + 4u));
    for (const char* figure : {"loss.svg", "accuracy.svg"})
        EXPECT_THAT(text_of(tt::read_file(out_ / figure)), HasSubstr("<svg")) << figure;
    for (const char* file : {"model.tnm", "checkpoint.tnm"}) EXPECT_GT(fs::file_size(out_ / file), 0u) << file;
}

// Two epochs straight, and one epoch then --resume to two, give the same
// model, the same history (its accuracies carried by the checkpoint) and the same metrics.
TEST_F(FashionClassifierSample, ResumedRunIsTheStraightRunByteForByte) {
    const fs::path straight = scratch_ / "straight", half = scratch_ / "half", resumed = scratch_ / "resumed";
    const ProgramResult straight_run = train(straight, {"--epochs", "2", "--seed", "3"});
    expect_success(straight_run);
    expect_success(train(half, {"--epochs", "1", "--seed", "3"}));
    const ProgramResult resumed_run =
        train(resumed, {"--epochs", "2", "--resume", (half / "checkpoint.tnm").string()});
    expect_success(resumed_run);

    EXPECT_EQ(tt::read_file(straight / "model.tnm"), tt::read_file(resumed / "model.tnm"));
    EXPECT_EQ(history_without_seconds(straight / "history.csv"), history_without_seconds(resumed / "history.csv"));
    EXPECT_EQ(tt::read_file(straight / "metrics.json"), tt::read_file(resumed / "metrics.json"));
    EXPECT_EQ(tt::read_file(straight / "confusion.png"), tt::read_file(resumed / "confusion.png"));
    EXPECT_EQ(tt::lines_of(resumed_run.out).back(), tt::lines_of(straight_run.out).back());
}

TEST_F(FashionClassifierSample, ExportsHoldTheWeights) {
    expect_success(train(out_, {"--epochs", "1", "--export-header", (scratch_ / "weights.hpp").string(),
                                "--export-safetensors", (scratch_ / "weights.safetensors").string()}));
    const Bytes safetensors = tt::read_file(scratch_ / "weights.safetensors");
    std::size_t header_length = 0;  // safetensors: 8 bytes little-endian, then the JSON header
    for (int i = 7; i >= 0; --i) header_length = header_length << 8 | safetensors.at(static_cast<std::size_t>(i));
    ASSERT_LE(8 + header_length, safetensors.size());
    const auto header = nlohmann::json::parse(safetensors.begin() + 8, safetensors.begin() + 8 +
                                                                           static_cast<std::ptrdiff_t>(header_length));
    // nn.Sequential(nn.Linear(784, 128), nn.Linear(128, 10)) numbered as docs/safetensors.md says.
    EXPECT_EQ(header.at("0.weight").at("shape"), nlohmann::json::array({128, 784}));
    EXPECT_EQ(header.at("1.weight").at("shape"), nlohmann::json::array({10, 128}));
    const std::string text = text_of(tt::read_file(scratch_ / "weights.hpp"));
    EXPECT_THAT(text, HasSubstr("namespace trained_fashion_classifier"));
    EXPECT_THAT(text, HasSubstr("architecture_signature = 0x"));
}

}  // namespace
