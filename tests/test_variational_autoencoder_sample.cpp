// The variational_autoencoder sample (TensorFlow's convolutional VAE tutorial)
// as its users meet it: its defaults (the tutorial's learning rate 1e-4, 10
// epochs), the data error, one short run's files (the loss's parts in
// history.csv, the two figures, the exports of a model with a loose Sampling
// layer between its parts), and --resume: a run broken after an epoch and
// resumed is the unbroken run byte for byte, the sampling noise included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
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

struct VariationalAutoencoder {
    static inline const fs::path program = TYPENET_SAMPLES_DIR "/variational_autoencoder";
    static inline const std::regex last_line{R"(test_elbo: -\d+\.\d{2})"};
    static constexpr std::size_t train_images = 256, test_images = 64;
};
using VariationalAutoencoderSample = tt::SampleTest<VariationalAutoencoder>;

TEST_F(VariationalAutoencoderSample, HelpSaysTheTutorialsLearningRateAndExitsZero) {
    const ProgramResult result = tt::run_program(VariationalAutoencoder::program, {"--help"});
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(--learning-rate [^\n]*=0\.0001\n)"))) << result;
    EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(--epochs [^\n]*=10\n)"))) << result;
}

// Keras's summary of the tutorial's model: 69,989 parameters, Sampling among the layers.
TEST_F(VariationalAutoencoderSample, SummaryShowsTheTutorialsModel) {
    const ProgramResult result = tt::run_program(VariationalAutoencoder::program, {"--summary"});
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, HasSubstr("4 Sampling kl one_sample                  (2)                           0\n"));
    EXPECT_THAT(result.out, HasSubstr("Total params: 69,989 "));
}

TEST_F(VariationalAutoencoderSample, MissingDataFolderExitsOneNamingItAndMakesNoOutFolder) {
    expect_missing_data_refused();
}

TEST_F(VariationalAutoencoderSample, OneEpochWritesEveryFileWithTheLossInItsParts) {
    const ProgramResult result =
        train(out_, {"--epochs", "1", "--export-header", (scratch_ / "weights.hpp").string(), "--export-safetensors",
                     (scratch_ / "weights.safetensors").string()});
    ASSERT_NO_FATAL_FAILURE(expect_success(result));
    for (const char* file : {"history.csv", "loss.svg", "checkpoint.tnm", "model.tnm"})
        EXPECT_TRUE(fs::is_regular_file(out_ / file)) << "no " << file << " in --out\n" << result;
    const auto generated = tt::png_size(tt::read_file(out_ / "generated.png"));
    ASSERT_TRUE(generated) << "generated.png is not a PNG";
    EXPECT_EQ((*generated)[0], 20u * 2 * 28 + 21 * 4) << "20 columns of images at twice their size, 4 pixels apart";
    ASSERT_TRUE(tt::png_size(tt::read_file(out_ / "latent.png"))) << "latent.png is not a PNG";

    // The progress line and history.csv give the loss and its parts, whose sum it is.
    EXPECT_THAT(result.out, HasSubstr(" - binary_crossentropy: "));
    EXPECT_THAT(result.out, HasSubstr(" - val_kl_loss: "));
    const std::vector<std::string> rows = tt::lines_of(tt::text_of(tt::read_file(out_ / "history.csv")));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], "epoch,loss,val_loss,binary_crossentropy,kl_loss,val_binary_crossentropy,val_kl_loss,seconds");
    std::vector<double> values;
    for (std::size_t at = 0; at != std::string::npos;) {
        const std::size_t next = rows[1].find(',', at);
        values.push_back(std::stod(rows[1].substr(at, next == std::string::npos ? next : next - at)));
        at = next == std::string::npos ? next : next + 1;
    }
    ASSERT_EQ(values.size(), 8u);
    EXPECT_NEAR(values[1], values[3] + values[4], 2e-6) << rows[1];
    EXPECT_NEAR(values[2], values[5] + values[6], 2e-6) << rows[1];
    // The last line is the test ELBO: minus val_loss.
    EXPECT_EQ(tt::lines_of(result.out).back(), fmt::format("test_elbo: {:.2f}", -values[2]));

    // The encoder's and the decoder's layers under their PyTorch attributes
    // (numbered as the modules with parameters, docs/safetensors.md); Sampling has none.
    const auto header = tt::safetensors_header(scratch_ / "weights.safetensors");
    EXPECT_EQ(header.at("encoder.0.weight").at("shape"), nlohmann::json::array({32, 1, 3, 3}));
    EXPECT_EQ(header.at("encoder.2.weight").at("shape"), nlohmann::json::array({4, 2304}));
    EXPECT_EQ(header.at("decoder.0.weight").at("shape"), nlohmann::json::array({1568, 2}));
    EXPECT_EQ(header.at("decoder.3.weight").at("shape"), nlohmann::json::array({32, 1, 3, 3}));
    EXPECT_EQ(header.size(), 14u + header.contains("__metadata__"));
    const std::string text = tt::text_of(tt::read_file(scratch_ / "weights.hpp"));
    EXPECT_THAT(text, HasSubstr("namespace trained_variational_autoencoder"));
    EXPECT_THAT(text, HasSubstr("Sampling kl one_sample"));
}

TEST_F(VariationalAutoencoderSample, ResumedRunIsTheStraightRunByteForByte) {
    expect_resumed_run_is_the_straight_run({"model.tnm", "generated.png", "latent.png"});
}

}  // namespace
