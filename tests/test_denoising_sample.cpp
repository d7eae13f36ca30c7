// The denoising autoencoder sample as its users meet it: the program run with
// flags, judged by its exit code, what it prints and what it leaves in --out.
// It shares the dense sample's flags and conventions (tested at length in
// test_dense_sample.cpp); here are its own flag, --noise, a few shared cases
// to show the conventions hold, a real run, and its reproducibility.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
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
using ::testing::HasSubstr;
using typenet::testing::Bytes;
using typenet::testing::ProgramResult;

const fs::path sample = TYPENET_SAMPLES_DIR "/denoising_autoencoder";
constexpr int exit_data_error = 1, exit_usage_error = 2;
// What the last line of a successful run must be.
const std::regex val_loss_line(R"(val_loss: \d\.\d{5})");

// denoised.png: a title band of 30 pixels, then rows of 10 images (original,
// noisy, reconstruction), each 28x28 scaled 4 times under a title line of 14
// pixels and 4 more, with a gap of 4 pixels around every image.
constexpr std::uint32_t figure_columns = 10, figure_rows = 3, cell = 28 * 4, gap = 4, title = 30, image_title = 18;
constexpr std::uint32_t figure_width = figure_columns * (cell + gap) + gap;                    // 1164
constexpr std::uint32_t figure_height = title + gap + figure_rows * (image_title + cell + gap);  // 436

// 256 training and 128 test images: an epoch of this model on them takes well under a second.
const typenet::testing::FashionMnist& small_data() {
    static const auto data = typenet::testing::small_fashion_mnist(256, 128);
    return data;
}

// One row of history.csv: epoch, loss, val_loss, seconds.
using EpochRow = std::array<double, 4>;

// The numbers of one row of history.csv, or nothing if a field is not a number.
std::optional<EpochRow> numbers_of(const std::string& row) {
    EpochRow numbers{};
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

std::vector<std::string> history_rows(const fs::path& out) {
    const Bytes bytes = typenet::testing::read_file(out / "history.csv");
    return typenet::testing::lines_of(std::string(bytes.begin(), bytes.end()));
}

// The epoch, loss and val_loss columns of history.csv as written: the
// seconds column, the one part that may change from run to run, cut off.
std::vector<std::string> history_without_seconds(const fs::path& out) {
    std::vector<std::string> rows = history_rows(out);
    for (std::string& row : rows) row.resize(std::min(row.size(), row.rfind(',')));
    return rows;
}

std::uint32_t big_endian_at(const Bytes& bytes, std::size_t offset) {
    return std::uint32_t{bytes[offset]} << 24 | std::uint32_t{bytes[offset + 1]} << 16 |
           std::uint32_t{bytes[offset + 2]} << 8 | std::uint32_t{bytes[offset + 3]};
}

class DenoisingSample : public ::testing::Test {
protected:
    // The small data set, each file under the name the sample looks for.
    [[nodiscard]] fs::path write_data() const {
        const fs::path folder = scratch_ / "fashion mnist";
        if (!fs::exists(folder)) {
            typenet::testing::write_fashion_mnist(folder, small_data(), typenet::testing::Compression::plain);
        }
        return folder;
    }

    [[nodiscard]] static ProgramResult run(const std::vector<std::string>& arguments) {
        return typenet::testing::run_program(sample, arguments);
    }

    // A short run on the small data into `out`, with the given extra flags.
    [[nodiscard]] ProgramResult train(const fs::path& out, const std::vector<std::string>& flags) const {
        std::vector<std::string> arguments{"--data", write_data().string(), "--out", out.string()};
        arguments.insert(arguments.end(), flags.begin(), flags.end());
        return run(arguments);
    }

    // A usage error is one line on stderr that names the flag, and exit code 2.
    static void expect_usage_error(const ProgramResult& result, const std::string& flag) {
        EXPECT_EQ(result.exit_code, exit_usage_error) << result;
        const std::vector<std::string> lines = typenet::testing::lines_of(result.err);
        ASSERT_EQ(lines.size(), 1u) << "stderr must be one line:\n" << result;
        EXPECT_TRUE(result.err.ends_with('\n')) << result;
        EXPECT_THAT(lines.front(), HasSubstr(flag)) << result;
    }

    // A successful run ends with the validation loss, five decimals.
    static void expect_success(const ProgramResult& result) {
        ASSERT_EQ(result.exit_code, 0) << result;
        const std::vector<std::string> lines = typenet::testing::lines_of(result.out);
        ASSERT_FALSE(lines.empty()) << result;
        EXPECT_TRUE(std::regex_match(lines.back(), val_loss_line)) << "last line: " << lines.back() << '\n' << result;
    }

    typenet::testing::TempDir scratch_;
    const fs::path out_ = scratch_ / "out dir";
};

struct UsageCase {
    std::string name;
    std::vector<std::string> arguments;
    std::string flag;  // what the error line must mention
};

void PrintTo(const UsageCase& usage_case, std::ostream* stream) { *stream << usage_case.name; }

class DenoisingSampleUsageError : public DenoisingSample, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(DenoisingSampleUsageError, ExitsTwoWithOneLineNamingTheFlag) {
    // Valid data and --out first, so that the flag under test is the only thing wrong.
    expect_usage_error(train(out_, GetParam().arguments), GetParam().flag);
    EXPECT_FALSE(fs::exists(out_));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, DenoisingSampleUsageError,
    ::testing::Values(UsageCase{"NoiseNegative", {"--noise", "-0.1"}, "--noise"},
                      UsageCase{"NoiseAboveOne", {"--noise", "1.5"}, "--noise"},
                      UsageCase{"NoiseNaN", {"--noise", "nan"}, "--noise"},
                      UsageCase{"NoiseNotANumber", {"--noise", "abc"}, "--noise"},
                      // Shared with the dense sample.
                      UsageCase{"UnknownFlag", {"--noise-factor", "0.2"}, "--noise-factor"},
                      UsageCase{"BatchZero", {"--batch", "0"}, "--batch"},
                      UsageCase{"ThreadsZero", {"--threads", "0"}, "--threads"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

TEST_F(DenoisingSample, NoiseOfZeroAndOneAreAcceptedAndChangeTheTraining) {
    std::vector<std::vector<std::string>> histories;
    for (const std::string noise : {"0", "1"}) {
        SCOPED_TRACE("--noise " + noise);
        const fs::path out = scratch_ / ("noise " + noise);
        ASSERT_NO_FATAL_FAILURE(expect_success(train(out, {"--noise", noise, "--epochs", "1", "--threads", "2"})));
        histories.push_back(history_without_seconds(out));
        ASSERT_EQ(histories.back().size(), 2u) << "history.csv: a header and one row";
    }
    // Clean inputs and inputs drowned in noise cannot give the same losses.
    EXPECT_NE(histories[0][1], histories[1][1]) << "--noise did not reach the training";
}

TEST_F(DenoisingSample, MissingDataFolderExitsOneNamingItAndMakesNoOutFolder) {
    const fs::path missing = scratch_ / "no data here";
    const ProgramResult result = run({"--epochs", "1", "--data", missing.string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr(missing.string())) << result;
    EXPECT_THAT(result.err, HasSubstr("no such directory")) << result;
    EXPECT_FALSE(fs::exists(out_)) << "a run that failed on its data made " << out_;
}

TEST_F(DenoisingSample, TrainsTwoEpochsAndWritesHistoryAndDenoisedImages) {
    const ProgramResult result = train(out_, {"--epochs", "2", "--batch", "16", "--threads", "2"});
    ASSERT_NO_FATAL_FAILURE(expect_success(result));
    SCOPED_TRACE("images from " + small_data().source);
    for (const char* file : {"history.csv", "denoised.png"}) {
        ASSERT_TRUE(fs::is_regular_file(out_ / file)) << "no " << file << " in --out\n" << result;
    }

    const std::vector<std::string> rows = history_rows(out_);
    ASSERT_EQ(rows.size(), 3u) << "history.csv: a header and one row per epoch";
    EXPECT_EQ(rows[0], "epoch,loss,val_loss,seconds");
    std::vector<EpochRow> epochs;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto numbers = numbers_of(rows[i]);
        ASSERT_TRUE(numbers) << "history.csv row " << i << " is not four numbers: " << rows[i];
        epochs.push_back(*numbers);
        const auto [epoch, loss, val_loss, seconds] = *numbers;
        EXPECT_EQ(epoch, static_cast<double>(i));
        EXPECT_TRUE(std::isfinite(loss) && loss > 0) << rows[i];
        EXPECT_TRUE(std::isfinite(val_loss) && val_loss > 0) << rows[i];
        EXPECT_GE(seconds, 0) << rows[i];
    }
    EXPECT_LT(epochs[1][1], epochs[0][1]) << "the training loss did not fall from epoch 1 to epoch 2";
    // The last line says the last epoch's validation loss.
    constexpr std::string_view prefix = "val_loss: ";
    const double printed = std::stod(typenet::testing::lines_of(result.out).back().substr(prefix.size()));
    EXPECT_NEAR(printed, epochs[1][2], 1e-5);

    // A PNG starts with its signature, then the IHDR chunk: length 13, type, width, height.
    const Bytes png = typenet::testing::read_file(out_ / "denoised.png");
    const Bytes png_signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ASSERT_GE(png.size(), 24u) << "denoised.png is too short for a PNG file";
    EXPECT_TRUE(std::equal(png_signature.begin(), png_signature.end(), png.begin())) << "not a PNG file";
    EXPECT_EQ(big_endian_at(png, 8), 13u);
    EXPECT_EQ(std::string(png.begin() + 12, png.begin() + 16), "IHDR");
    EXPECT_EQ(big_endian_at(png, 16), figure_width) << "denoised.png: 10 images a row";
    EXPECT_EQ(big_endian_at(png, 20), figure_height) << "denoised.png: original, noisy and denoised rows";
}

// The noise, the weights and the shuffle all come from --seed, and a step
// sums its threads' gradients in a fixed order: a run is reproducible.
TEST_F(DenoisingSample, SameSeedGivesTheSameLossesAndAnotherSeedOthers) {
    const auto losses = [this](const std::string& name, const std::string& seed) {
        const fs::path out = scratch_ / name;
        expect_success(train(out, {"--epochs", "2", "--batch", "16", "--threads", "2", "--seed", seed}));
        return HasFatalFailure() ? std::vector<std::string>{} : history_without_seconds(out);
    };
    const std::vector<std::string> first = losses("first", "1");
    ASSERT_EQ(first.size(), 3u) << "history.csv: a header and one row per epoch";
    EXPECT_EQ(losses("again", "1"), first) << "the same run gave other losses";
    const std::vector<std::string> other = losses("other seed", "2");
    ASSERT_EQ(other.size(), 3u);
    EXPECT_NE(other[1], first[1]) << "--seed changed nothing in epoch 1";
    EXPECT_NE(other[2], first[2]) << "--seed changed nothing in epoch 2";
}

}  // namespace
