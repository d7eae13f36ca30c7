// The fashion_classifier sample (TensorFlow's basic classification tutorial)
// as its users meet it: the program run with flags, judged by its exit code,
// its last line and what it leaves in --out. The flags it shares with the
// other samples are tested at length in test_dense_sample.cpp; here each kind
// of usage error once, the data error, one short run's files, --resume and the exports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

#include "support/classification_files.hpp"
#include "support/run_program.hpp"
#include "support/sample_test.hpp"

namespace {

namespace fs = std::filesystem;
namespace tt = typenet::testing;
using ::testing::HasSubstr;
using tt::ProgramResult;

struct FashionClassifier {
    static inline const fs::path program = TYPENET_SAMPLES_DIR "/fashion_classifier";
    static inline const std::regex last_line{R"(test_accuracy: [01]\.\d{4})"};
    // 512 training and 256 test images: an epoch takes a fraction of a second.
    static constexpr std::size_t train_images = 512, test_images = 256;
};
using FashionClassifierSample = tt::SampleTest<FashionClassifier>;

TEST_F(FashionClassifierSample, HelpListsTheFlagsAndExitsZero) {
    const ProgramResult result = tt::run_program(FashionClassifier::program, {"--help"});
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
    EXPECT_EQ(result.exit_code, tt::exit_usage_error) << result;
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
    expect_missing_data_refused();
}

TEST_F(FashionClassifierSample, OneEpochWritesEveryFile) {
    const ProgramResult result = train(out_, {"--epochs", "1", "--batch", "16"});
    ASSERT_NO_FATAL_FAILURE(expect_success(result));
    tt::expect_classification_files(out_, result, FashionClassifier::test_images);
}

// Two epochs straight, and one epoch then --resume to two, give the same
// model, the same history (its accuracies carried by the checkpoint) and the same metrics.
TEST_F(FashionClassifierSample, ResumedRunIsTheStraightRunByteForByte) {
    expect_resumed_run_is_the_straight_run({"model.tnm", "metrics.json", "confusion.png"});
}

TEST_F(FashionClassifierSample, ExportsHoldTheWeights) {
    ASSERT_NO_FATAL_FAILURE(expect_success(train(out_, {"--epochs", "1", "--export-header",
                                                        (scratch_ / "weights.hpp").string(), "--export-safetensors",
                                                        (scratch_ / "weights.safetensors").string()})));
    const auto header = tt::safetensors_header(scratch_ / "weights.safetensors");
    // nn.Sequential(nn.Linear(784, 128), nn.Linear(128, 10)) numbered as docs/safetensors.md says.
    EXPECT_EQ(header.at("0.weight").at("shape"), nlohmann::json::array({128, 784}));
    EXPECT_EQ(header.at("1.weight").at("shape"), nlohmann::json::array({10, 128}));
    const std::string text = tt::text_of(tt::read_file(scratch_ / "weights.hpp"));
    EXPECT_THAT(text, HasSubstr("namespace trained_fashion_classifier"));
    EXPECT_THAT(text, HasSubstr("architecture_signature = 0x"));
}

}  // namespace
