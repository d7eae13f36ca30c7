// The unet_denoiser sample (the notebook's denoising task with skip
// connections) as its users meet it: its flags are the denoiser's (tested at
// length in test_denoising_sample.cpp), so here a usage error, the data
// error, one short run's files and exports (the PyTorch names of a module
// that is not an nn.Sequential), and --resume byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/run_program.hpp"
#include "support/sample_test.hpp"

namespace {

namespace fs = std::filesystem;
namespace tt = typenet::testing;
using ::testing::HasSubstr;
using tt::ProgramResult;

struct UNetDenoiser {
    static inline const fs::path program = TYPENET_SAMPLES_DIR "/unet_denoiser";
    static inline const std::regex last_line{R"(val_loss: 0\.\d{5})"};
    static constexpr std::size_t train_images = 256, test_images = 64;
};
using UNetDenoiserSample = tt::SampleTest<UNetDenoiser>;

TEST_F(UNetDenoiserSample, NoiseAboveOneExitsTwoWithOneLineNamingTheFlag) {
    const ProgramResult result = train(out_, {"--noise", "1.5"});
    EXPECT_EQ(result.exit_code, tt::exit_usage_error) << result;
    const std::vector<std::string> lines = tt::lines_of(result.err);
    ASSERT_EQ(lines.size(), 1u) << "stderr must be one line:\n" << result.err;
    EXPECT_THAT(lines.front(), HasSubstr("--noise"));
    EXPECT_FALSE(fs::exists(out_));
}

TEST_F(UNetDenoiserSample, MissingDataFolderExitsOneNamingItAndMakesNoOutFolder) { expect_missing_data_refused(); }

TEST_F(UNetDenoiserSample, OneEpochWritesEveryFileAndTheExports) {
    const ProgramResult result =
        train(out_, {"--epochs", "1", "--export-header", (scratch_ / "weights.hpp").string(), "--export-safetensors",
                     (scratch_ / "weights.safetensors").string()});
    ASSERT_NO_FATAL_FAILURE(expect_success(result));
    for (const char* file : {"history.csv", "loss.svg", "checkpoint.tnm", "model.tnm", "denoised.png"})
        EXPECT_TRUE(fs::is_regular_file(out_ / file)) << "no " << file << " in --out\n" << result;

    // PyTorch's module keeps the six convolutions in an nn.ModuleList named
    // layers; the Tags and merges are its forward's code.
    const auto header = tt::safetensors_header(scratch_ / "weights.safetensors");
    EXPECT_EQ(header.at("layers.0.weight").at("shape"), nlohmann::json::array({16, 1, 3, 3}));
    EXPECT_EQ(header.at("layers.4.weight").at("shape"), nlohmann::json::array({64, 16, 3, 3}));
    EXPECT_EQ(header.at("layers.5.bias").at("shape"), nlohmann::json::array({1}));
    EXPECT_FALSE(header.contains("layers.6.weight"));
    // The header's architecture lines show the connections.
    const std::string text = tt::text_of(tt::read_file(scratch_ / "weights.hpp"));
    EXPECT_THAT(text, HasSubstr("namespace trained_unet_denoiser"));
    EXPECT_THAT(text, HasSubstr("//   6 Concatenate with b (14,14,32) -> (14,14,64)"));
}

TEST_F(UNetDenoiserSample, ResumedRunIsTheStraightRunByteForByte) {
    expect_resumed_run_is_the_straight_run({"model.tnm", "denoised.png"});
}

}  // namespace
