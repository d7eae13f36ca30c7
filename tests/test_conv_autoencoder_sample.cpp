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

#include "support/idx_files.hpp"
#include "support/run_program.hpp"

namespace {

namespace fs = std::filesystem;
namespace tt = typenet::testing;
using ::testing::HasSubstr;
using tt::Bytes;
using tt::ProgramResult;

const fs::path sample = TYPENET_SAMPLES_DIR "/conv_autoencoder";
constexpr int exit_data_error = 1, exit_usage_error = 2;
const std::regex val_loss_line(R"(val_loss: 0\.\d{5})");

std::string text_of(const Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

class ConvAutoencoderSample : public ::testing::Test {
protected:
    // 256 training and 128 test images: an epoch takes a fraction of a second.
    static void SetUpTestSuite() {
        data_ = new tt::TempDir("typenet conv data ");
        tt::write_fashion_mnist(data_->path(), tt::small_fashion_mnist(256, 128), tt::Compression::gzip);
    }
    static void TearDownTestSuite() { delete data_; }

    [[nodiscard]] static ProgramResult train(const fs::path& out, const std::vector<std::string>& flags) {
        std::vector<std::string> arguments{"--data", data_->path().string(), "--out", out.string(), "--threads", "2"};
        arguments.insert(arguments.end(), flags.begin(), flags.end());
        return tt::run_program(sample, arguments);
    }

    tt::TempDir scratch_{"typenet conv "};
    const fs::path out_ = scratch_ / "out dir";
    static tt::TempDir* data_;
};
tt::TempDir* ConvAutoencoderSample::data_ = nullptr;

TEST_F(ConvAutoencoderSample, BatchAboveCapacityExitsTwoNamingTheFlag) {
    const ProgramResult result = train(out_, {"--batch", "257"});
    EXPECT_EQ(result.exit_code, exit_usage_error) << result;
    EXPECT_THAT(result.err, HasSubstr("--batch")) << result;
    EXPECT_FALSE(fs::exists(out_));
}

TEST_F(ConvAutoencoderSample, MissingDataFolderExitsOneNamingItAndMakesNoOutFolder) {
    const fs::path missing = scratch_ / "no such data";
    const ProgramResult result = tt::run_program(sample, {"--data", missing.string(), "--out", out_.string()});
    EXPECT_EQ(result.exit_code, exit_data_error) << result;
    EXPECT_THAT(result.err, HasSubstr(missing.string())) << result;
    EXPECT_FALSE(fs::exists(out_));
}

TEST_F(ConvAutoencoderSample, OneEpochWritesEveryFileAndTheExports) {
    const ProgramResult result =
        train(out_, {"--epochs", "1", "--export-safetensors", (scratch_ / "weights.safetensors").string()});
    ASSERT_EQ(result.exit_code, 0) << result;
    const std::vector<std::string> lines = tt::lines_of(result.out);
    ASSERT_FALSE(lines.empty()) << result;
    ASSERT_TRUE(std::regex_match(lines.back(), val_loss_line)) << "last line: " << lines.back();

    // history.csv's val_loss is the last line's: binary crossentropy per pixel,
    // below the 0.69 of a model that knows nothing, after one epoch of 256 images.
    const std::vector<std::string> rows = tt::lines_of(text_of(tt::read_file(out_ / "history.csv")));
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
    EXPECT_THAT(text_of(tt::read_file(out_ / "loss.svg")), HasSubstr("<svg"));
    for (const char* file : {"model.tnm", "checkpoint.tnm"}) EXPECT_GT(fs::file_size(out_ / file), 0u) << file;

    // The layers with parameters numbered in each part, as PyTorch's nn.Sequential of Conv2d would name them.
    const Bytes safetensors = tt::read_file(scratch_ / "weights.safetensors");
    std::size_t header_length = 0;  // safetensors: 8 bytes little-endian, then the JSON header
    for (int i = 7; i >= 0; --i) header_length = header_length << 8 | safetensors.at(static_cast<std::size_t>(i));
    ASSERT_LE(8 + header_length, safetensors.size());
    const auto header = nlohmann::json::parse(safetensors.begin() + 8, safetensors.begin() + 8 +
                                                                           static_cast<std::ptrdiff_t>(header_length));
    EXPECT_EQ(header.at("encoder.0.weight").at("shape"), nlohmann::json::array({16, 1, 3, 3}));
    EXPECT_EQ(header.at("encoder.2.weight").at("shape"), nlohmann::json::array({8, 8, 3, 3}));
    EXPECT_EQ(header.at("decoder.2.weight").at("shape"), nlohmann::json::array({16, 8, 3, 3}));
    EXPECT_EQ(header.at("decoder.3.weight").at("shape"), nlohmann::json::array({1, 16, 3, 3}));
    EXPECT_EQ(header.at("decoder.3.bias").at("shape"), nlohmann::json::array({1}));
}

}  // namespace
