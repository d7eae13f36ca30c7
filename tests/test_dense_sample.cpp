// The dense autoencoder sample as its users meet it: the program run with
// flags, judged by its exit code, what it prints and what it leaves in --out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>  // geteuid

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iterator>
#include <ostream>
#include <optional>
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
using typenet::testing::Compression;
using typenet::testing::ProgramResult;

const fs::path sample = TYPENET_SAMPLES_DIR "/dense_autoencoder";
constexpr int exit_data_error = 1, exit_usage_error = 2;
// What the last line of a successful run must be.
const std::regex val_loss_line(R"(val_loss: \d\.\d{5})");

// 512 training and 256 test images: a run of a few epochs takes a fraction of a second.
const typenet::testing::FashionMnist& small_data() {
    static const auto data = typenet::testing::small_fashion_mnist(512, 256);
    return data;
}

// The numbers of one row of history.csv, or nothing if a field is not a number.
std::optional<std::array<double, 4>> numbers_of(const std::string& row) {
    std::array<double, 4> numbers{};
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

class DenseSample : public ::testing::Test {
protected:
    // The small data set in a folder of this test, each file under the name
    // the sample looks for, so that a test can replace one.
    [[nodiscard]] fs::path write_data(Compression compression = Compression::plain) const {
        const fs::path folder = scratch_ / "fashion mnist";
        typenet::testing::write_fashion_mnist(folder, small_data(), compression);
        return folder;
    }

    [[nodiscard]] static ProgramResult run(const std::vector<std::string>& arguments) {
        return typenet::testing::run_program(sample, arguments);
    }

    // A usage error is one line on stderr that names the flag, and exit code 2.
    static void expect_usage_error(const ProgramResult& result, const std::string& flag) {
        EXPECT_EQ(result.exit_code, exit_usage_error) << result;
        const std::vector<std::string> lines = typenet::testing::lines_of(result.err);
        ASSERT_EQ(lines.size(), 1u) << "stderr must be one line:\n" << result.err;
        EXPECT_TRUE(result.err.ends_with('\n')) << result.err;
        EXPECT_THAT(lines.front(), HasSubstr(flag));
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

TEST_F(DenseSample, HelpListsTheFlagsAndExitsZero) {
    const ProgramResult result = run({"--help"});
    EXPECT_EQ(result.exit_code, 0) << result;
    for (const char* flag : {"--epochs", "--batch", "--learning-rate", "--seed", "--data", "--out"}) {
        EXPECT_THAT(result.out, HasSubstr(flag)) << result;
    }
    EXPECT_EQ(result.err, "") << result;
}

// --summary prints Keras's model.summary() with the memory, reads no data and writes nothing.
TEST_F(DenseSample, SummaryPrintsTheLayersAndExitsZeroWithoutReadingData) {
    const ProgramResult result =
        run({"--summary", "--data", (scratch_ / "no such data").string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, HasSubstr("1 Dense relu                              (64)                     50,240\n"));
    EXPECT_THAT(result.out, HasSubstr("Total params: 101,200 (395.3 KiB)\n"));
    EXPECT_EQ(result.err, "") << result;
    EXPECT_FALSE(fs::exists(out_));
}

struct UsageCase {
    std::string name;
    std::vector<std::string> arguments;
    std::string flag;  // what the error line must mention
};

void PrintTo(const UsageCase& usage_case, std::ostream* stream) { *stream << usage_case.name; }

class DenseSampleUsageError : public DenseSample, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(DenseSampleUsageError, ExitsTwoWithOneLineNamingTheFlag) {
    // Valid data and --out first, so that the flag under test is the only thing wrong.
    std::vector<std::string> arguments{"--data", write_data().string(), "--out", out_.string()};
    arguments.insert(arguments.end(), GetParam().arguments.begin(), GetParam().arguments.end());
    expect_usage_error(run(arguments), GetParam().flag);
    EXPECT_FALSE(fs::exists(out_));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, DenseSampleUsageError,
    ::testing::Values(UsageCase{"UnknownFlag", {"--epoch", "3"}, "--epoch"},
                      UsageCase{"UnexpectedArgument", {"stray"}, "stray"},
                      UsageCase{"EpochsZero", {"--epochs", "0"}, "--epochs"},
                      UsageCase{"EpochsNegative", {"--epochs", "-3"}, "--epochs"},
                      UsageCase{"EpochsNotANumber", {"--epochs", "ten"}, "--epochs"},
                      UsageCase{"EpochsWithoutValue", {"--epochs"}, "--epochs"},
                      UsageCase{"BatchZero", {"--batch", "0"}, "--batch"},
                      UsageCase{"BatchAboveCapacity", {"--batch", "257"}, "--batch"},
                      UsageCase{"BatchNotAnInteger", {"--batch", "1.5"}, "--batch"},
                      UsageCase{"LearningRateZero", {"--learning-rate", "0"}, "--learning-rate"},
                      UsageCase{"LearningRateNegative", {"--learning-rate", "-0.001"}, "--learning-rate"},
                      UsageCase{"LearningRateNotANumber", {"--learning-rate", "fast"}, "--learning-rate"},
                      UsageCase{"LearningRateNaN", {"--learning-rate", "nan"}, "--learning-rate"},
                      UsageCase{"SeedNotANumber", {"--seed", "x"}, "--seed"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

// --out is checked after the data is read, so these runs are given valid data.
TEST_F(DenseSample, OutThatIsAFileIsAUsageError) {
    const fs::path file = scratch_ / "a file";
    typenet::testing::write_file(file, Bytes{'x'});
    expect_usage_error(run({"--data", write_data().string(), "--out", file.string()}), "--out");
}

TEST_F(DenseSample, OutUnderAFileIsAUsageError) {
    const fs::path file = scratch_ / "a file";
    typenet::testing::write_file(file, Bytes{'x'});
    expect_usage_error(run({"--data", write_data().string(), "--out", (file / "out").string()}), "--out");
}

TEST_F(DenseSample, OutInAReadOnlyFolderIsAUsageError) {
    if (::geteuid() == 0) GTEST_SKIP() << "root may write into a read-only folder";
    const fs::path read_only = scratch_ / "read only";
    fs::create_directory(read_only);
    fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec);
    const ProgramResult result = run({"--data", write_data().string(), "--out", (read_only / "out").string()});
    fs::permissions(read_only, fs::perms::owner_all);  // so that the scratch folder can be removed
    expect_usage_error(result, "--out");
}

struct DataCase {
    std::string name;
    std::string file;     // the file the message must name; empty for the folder itself
    std::string problem;  // words of the message that say what is wrong
    std::function<void(const fs::path& data)> damage;
};

void PrintTo(const DataCase& data_case, std::ostream* stream) { *stream << data_case.name; }

void replace(const fs::path& data, std::string_view file, const Bytes& bytes) {
    typenet::testing::write_file(data / file, bytes);
}

// The first half of a file, as an interrupted download leaves it.
Bytes first_half(const Bytes& bytes) { return Bytes(bytes.begin(), bytes.begin() + std::ssize(bytes) / 2); }

std::vector<DataCase> data_cases() {
    using namespace typenet::testing;
    const std::string test_images_gz = std::string(test_images_file) + ".gz";
    return {
        {"MissingFolder", "", "no such directory", [](const fs::path& data) { fs::remove_all(data); }},
        {"FolderIsAFile", "", "not a directory",
         [](const fs::path& data) {
             fs::remove_all(data);
             write_file(data, Bytes{'x'});
         }},
        {"MissingFile", std::string(test_labels_file), "is there",
         [](const fs::path& data) { fs::remove(data / test_labels_file); }},
        {"EmptyFile", std::string(train_images_file), "empty",
         [](const fs::path& data) { replace(data, train_images_file, {}); }},
        {"TruncatedFile", std::string(train_images_file), "truncated",
         [](const fs::path& data) {
             replace(data, train_images_file, first_half(read_file(data / train_images_file)));
         }},
        {"TruncatedGzipFile", test_images_gz, "truncated",
         [test_images_gz](const fs::path& data) {
             const fs::path plain = data / test_images_file;
             replace(data, test_images_gz, first_half(gzip(read_file(plain))));
             fs::remove(plain);
         }},
        {"WrongMagicNumber", std::string(train_labels_file), "magic number",
         [](const fs::path& data) {
             // An image file where the labels should be, as a mix-up of names would give.
             fs::copy_file(data / train_images_file, data / train_labels_file, fs::copy_options::overwrite_existing);
         }},
        {"WrongImageSize", std::string(test_images_file), "28x28",
         [](const fs::path& data) {
             replace(data, test_images_file, idx_images(small_data().test_count(), 32, 32,
                                                        Bytes(small_data().test_count() * 32 * 32, 0)));
         }},
        {"TrailingBytes", std::string(test_labels_file), "trailing bytes",
         [](const fs::path& data) {
             Bytes bytes = read_file(data / test_labels_file);
             bytes.insert(bytes.end(), {1, 2, 3});
             replace(data, test_labels_file, bytes);
         }},
        {"FewerLabelsThanImages", std::string(train_labels_file), "labels",
         [](const fs::path& data) {
             const Bytes labels(small_data().train_labels.begin(), small_data().train_labels.end() - 1);
             replace(data, train_labels_file, idx_labels(small_data().train_count() - 1, labels));
         }},
    };
}

class DenseSampleDataError : public DenseSample, public ::testing::WithParamInterface<DataCase> {};

TEST_P(DenseSampleDataError, ExitsOneNamingTheFileAndMakesNoOutFolder) {
    const fs::path data = write_data();
    GetParam().damage(data);
    const ProgramResult result = run({"--epochs", "1", "--data", data.string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr(data.string())) << result;
    EXPECT_THAT(result.err, HasSubstr(GetParam().file)) << result;
    EXPECT_THAT(result.err, HasSubstr(GetParam().problem)) << result;
    EXPECT_FALSE(fs::exists(out_)) << "a run that failed on its data made " << out_;
}

INSTANTIATE_TEST_SUITE_P(Files, DenseSampleDataError, ::testing::ValuesIn(data_cases()),
                         [](const ::testing::TestParamInfo<DataCase>& info) { return info.param.name; });

// The results of an earlier run must survive a later run that fails on its data.
TEST_F(DenseSample, DataErrorLeavesAnExistingOutFolderAsItWas) {
    const std::string earlier_text = "epoch,loss,val_loss,seconds\n1,0.5,0.5,1.0\n";
    const Bytes earlier_history(earlier_text.begin(), earlier_text.end());
    fs::create_directory(out_);
    typenet::testing::write_file(out_ / "history.csv", earlier_history);
    const fs::path data = write_data();
    replace(data, typenet::testing::train_images_file, {});

    const ProgramResult result = run({"--epochs", "1", "--data", data.string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(out_)) entries.push_back(entry.path().filename());
    EXPECT_EQ(entries, std::vector<fs::path>{"history.csv"});
    EXPECT_EQ(typenet::testing::read_file(out_ / "history.csv"), earlier_history);
}

TEST_F(DenseSample, TrainsTwoEpochsAndWritesHistoryAndReconstructions) {
    const fs::path data = write_data(Compression::gzip);
    const ProgramResult result =
        run({"--epochs", "2", "--batch", "16", "--data", data.string(), "--out", out_.string()});
    expect_success(result);
    SCOPED_TRACE("images from " + small_data().source);

    const Bytes history_bytes = typenet::testing::read_file(out_ / "history.csv");
    const std::vector<std::string> rows = typenet::testing::lines_of(std::string(history_bytes.begin(), history_bytes.end()));
    ASSERT_EQ(rows.size(), 3u) << "history.csv: a header and one row per epoch";
    EXPECT_EQ(rows[0], "epoch,loss,val_loss,seconds");
    std::vector<std::array<double, 4>> epochs;
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

    const Bytes png = typenet::testing::read_file(out_ / "reconstructions.png");
    const Bytes png_signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ASSERT_GE(png.size(), png_signature.size());
    EXPECT_TRUE(std::equal(png_signature.begin(), png_signature.end(), png.begin())) << "not a PNG file";
}

TEST_F(DenseSample, BatchOfTheFullCapacityTrains) {
    expect_success(run({"--epochs", "1", "--batch", "256", "--data", write_data().string(), "--out", out_.string()}));
}

}  // namespace
