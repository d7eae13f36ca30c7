// The conv_autoencoder sample (the Keras blog's deep convolutional
// autoencoder) as its users meet it: the program run with flags, judged by
// its exit code, its last line and what it leaves in --out. The flags it
// shares with the other samples are tested at length in test_dense_sample.cpp;
// here a usage error, the data error, one short run's files and the exports'
// PyTorch names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
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
using tt::Bytes;
using tt::ProgramResult;

struct ConvAutoencoder {
    static inline const fs::path program = TYPENET_SAMPLES_DIR "/conv_autoencoder";
    static inline const std::regex last_line{R"(val_loss: 0\.\d{5})"};
    // 256 training and 128 test images: an epoch takes a fraction of a second.
    static constexpr std::size_t train_images = 256, test_images = 128;
};
using ConvAutoencoderSample = tt::SampleTest<ConvAutoencoder>;

TEST_F(ConvAutoencoderSample, BatchAboveCapacityExitsTwoNamingTheFlag) {
    const ProgramResult result = train(out_, {"--batch", "257"});
    EXPECT_EQ(result.exit_code, tt::exit_usage_error) << result;
    EXPECT_THAT(result.err, HasSubstr("--batch")) << result;
    EXPECT_FALSE(fs::exists(out_));
}

TEST_F(ConvAutoencoderSample, MissingDataFolderExitsOneNamingItAndMakesNoOutFolder) {
    expect_missing_data_refused();
}

TEST_F(ConvAutoencoderSample, OneEpochWritesEveryFileAndTheExports) {
    const ProgramResult result =
        train(out_, {"--epochs", "1", "--export-safetensors", (scratch_ / "weights.safetensors").string()});
    ASSERT_NO_FATAL_FAILURE(expect_success(result));
    const std::vector<std::string> lines = tt::lines_of(result.out);

    // history.csv's val_loss is the last line's: binary crossentropy per pixel,
    // below the 0.69 of a model that knows nothing, after one epoch of 256 images.
    const std::vector<std::string> rows = tt::lines_of(tt::text_of(tt::read_file(out_ / "history.csv")));
    ASSERT_EQ(rows.size(), 2u) << "history.csv: a header and one row per epoch";
    EXPECT_EQ(rows[0], "epoch,loss,val_loss,seconds");
    std::vector<double> fields;  // epoch, loss, val_loss, seconds
    for (std::size_t start = 0; start <= rows[1].size();) {
        const std::size_t end = std::min(rows[1].find(',', start), rows[1].size());
        fields.push_back(std::stod(rows[1].substr(start, end - start)));
        start = end + 1;
    }
    ASSERT_EQ(fields.size(), 4u) << rows[1];
    const double val_loss = fields[2];
    EXPECT_NEAR(std::stod(lines.back().substr(std::string("val_loss: ").size())), val_loss, 0.5e-5) << rows[1];
    EXPECT_LT(val_loss, 0.69) << rows[1];
    EXPECT_GT(val_loss, 0.0) << rows[1];

    const Bytes png = tt::read_file(out_ / "reconstructions.png");
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(png[1], 'P');
    EXPECT_THAT(tt::text_of(tt::read_file(out_ / "loss.svg")), HasSubstr("<svg"));
    for (const char* file : {"model.tnm", "checkpoint.tnm"}) EXPECT_GT(fs::file_size(out_ / file), 0u) << file;

    // The layers with parameters numbered in each part, as PyTorch's nn.Sequential of Conv2d would name them.
    const auto header = tt::safetensors_header(scratch_ / "weights.safetensors");
    EXPECT_EQ(header.at("encoder.0.weight").at("shape"), nlohmann::json::array({16, 1, 3, 3}));
    EXPECT_EQ(header.at("encoder.2.weight").at("shape"), nlohmann::json::array({8, 8, 3, 3}));
    EXPECT_EQ(header.at("decoder.2.weight").at("shape"), nlohmann::json::array({16, 8, 3, 3}));
    EXPECT_EQ(header.at("decoder.3.weight").at("shape"), nlohmann::json::array({1, 16, 3, 3}));
    EXPECT_EQ(header.at("decoder.3.bias").at("shape"), nlohmann::json::array({1}));
}

}  // namespace
