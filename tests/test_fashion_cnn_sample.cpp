// The fashion_cnn sample (a convolutional classifier with batch normalization
// and dropout) as its users meet it: the program run with flags, judged by
// its exit code, its last line and what it leaves in --out. The flags it
// shares with the other samples are tested at length in test_dense_sample.cpp;
// here its default of 5 epochs, a usage error, the data error, one short
// run's files and exports, and --resume: a run broken after an epoch and
// resumed is the unbroken run byte for byte, dropout's masks and the moving
// statistics included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
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

struct FashionCnn {
    static inline const fs::path program = TYPENET_SAMPLES_DIR "/fashion_cnn";
    static inline const std::regex last_line{R"(test_accuracy: [01]\.\d{4})"};
    // 512 training and 256 test images: an epoch takes about a second.
    static constexpr std::size_t train_images = 512, test_images = 256;
};
using FashionCnnSample = tt::SampleTest<FashionCnn>;

TEST_F(FashionCnnSample, HelpSaysFiveEpochsAndExitsZero) {
    const ProgramResult result = tt::run_program(FashionCnn::program, {"--help"});
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(--epochs [^\n]*=5\n)"))) << result;
    EXPECT_EQ(result.err, "") << result;
}

TEST_F(FashionCnnSample, BatchAboveCapacityExitsTwoWithOneLineNamingTheFlag) {
    const ProgramResult result = train(out_, {"--batch", "257"});
    EXPECT_EQ(result.exit_code, tt::exit_usage_error) << result;
    const std::vector<std::string> lines = tt::lines_of(result.err);
    ASSERT_EQ(lines.size(), 1u) << "stderr must be one line:\n" << result.err;
    EXPECT_THAT(lines.front(), HasSubstr("--batch"));
    EXPECT_FALSE(fs::exists(out_));
}

TEST_F(FashionCnnSample, MissingDataFolderExitsOneNamingItAndMakesNoOutFolder) { expect_missing_data_refused(); }

TEST_F(FashionCnnSample, OneEpochWritesEveryFileAndTheExports) {
    const ProgramResult result =
        train(out_, {"--epochs", "1", "--export-header", (scratch_ / "weights.hpp").string(), "--export-safetensors",
                     (scratch_ / "weights.safetensors").string()});
    ASSERT_NO_FATAL_FAILURE(expect_success(result));
    tt::expect_classification_files(out_, result, FashionCnn::test_images);

    // The parts are the attributes features and classifier (notebook_models.hpp), the
    // normalizations' moving statistics are exported beside their gamma and beta.
    const auto header = tt::safetensors_header(scratch_ / "weights.safetensors");
    EXPECT_EQ(header.at("features.0.weight").at("shape"), nlohmann::json::array({32, 1, 3, 3}));
    EXPECT_FALSE(header.contains("features.0.bias")) << "the convolutions have no bias";
    EXPECT_EQ(header.at("features.1.running_var").at("shape"), nlohmann::json::array({32}));
    EXPECT_EQ(header.at("classifier.1.weight").at("shape"), nlohmann::json::array({10, 128}));
    const std::string text = tt::text_of(tt::read_file(scratch_ / "weights.hpp"));
    EXPECT_THAT(text, HasSubstr("namespace trained_fashion_cnn"));
    EXPECT_THAT(text, HasSubstr("architecture_signature = 0x"));
}

// The checkpoint carries the seed of the masks (the resumed run is not given
// --seed), the step they are keyed by, and the moving statistics.
TEST_F(FashionCnnSample, ResumedRunIsTheStraightRunByteForByte) {
    expect_resumed_run_is_the_straight_run({"model.tnm", "metrics.json", "confusion.png", "predictions.png"});
}

}  // namespace
