// Checkpoints through the real samples: training 4 epochs straight, and 2
// epochs then --resume to 4, give the same model file byte for byte (same
// thread count); --export-header writes a header holding those weights.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/idx_files.hpp"
#include "support/run_program.hpp"

namespace fs = std::filesystem;
namespace tt = typenet::testing;

namespace {

class Resume : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() {
        data_ = new tt::TempDir("typenet resume data ");
        tt::write_fashion_mnist(data_->path(), tt::small_fashion_mnist(512, 128), tt::Compression::gzip);
    }
    static void TearDownTestSuite() { delete data_; }

    tt::ProgramResult train(const fs::path& out, std::vector<std::string> flags) const {
        std::vector<std::string> arguments{"--data", data_->path().string(), "--out", out.string(), "--batch", "16",
                                           "--threads", "2", "--seed", "3"};
        arguments.insert(arguments.end(), flags.begin(), flags.end());
        return tt::run_program(fs::path(TYPENET_SAMPLES_DIR) / GetParam(), arguments);
    }

    tt::TempDir work_{"typenet resume "};
    static tt::TempDir* data_;
};
tt::TempDir* Resume::data_ = nullptr;

TEST_P(Resume, HalfThenResumeEqualsStraight) {
    const auto straight = train(work_ / "straight", {"--epochs", "4"});
    ASSERT_EQ(straight.exit_code, 0) << straight;
    const auto half = train(work_ / "half", {"--epochs", "2"});
    ASSERT_EQ(half.exit_code, 0) << half;
    const auto resumed =
        train(work_ / "resumed", {"--epochs", "4", "--resume", (work_ / "half" / "checkpoint.tnm").string()});
    ASSERT_EQ(resumed.exit_code, 0) << resumed;

    EXPECT_EQ(tt::read_file(work_ / "straight" / "model.tnm"), tt::read_file(work_ / "resumed" / "model.tnm"));
    EXPECT_EQ(tt::read_file(work_ / "straight" / "checkpoint.tnm").size(),
              tt::read_file(work_ / "resumed" / "checkpoint.tnm").size());
    EXPECT_EQ(tt::lines_of(resumed.out).back(), tt::lines_of(straight.out).back());
}

TEST_P(Resume, CorruptCheckpointIsADataError) {
    const auto half = train(work_ / "half", {"--epochs", "1"});
    ASSERT_EQ(half.exit_code, 0) << half;
    auto bytes = tt::read_file(work_ / "half" / "checkpoint.tnm");
    bytes[bytes.size() / 2] ^= 0x40;
    tt::write_file(work_ / "flipped.tnm", bytes);
    const auto resumed = train(work_ / "resumed", {"--epochs", "2", "--resume", (work_ / "flipped.tnm").string()});
    EXPECT_EQ(resumed.exit_code, 1) << resumed;
    EXPECT_NE(resumed.err.find("flipped.tnm: corrupt"), std::string::npos) << resumed;
}

TEST_P(Resume, ExportsHoldTheWeights) {
    const auto run = train(work_ / "out", {"--epochs", "1", "--export-header", (work_ / "weights.hpp").string(),
                                           "--export-safetensors", (work_ / "weights.safetensors").string()});
    ASSERT_EQ(run.exit_code, 0) << run;
    const auto safetensors = tt::read_file(work_ / "weights.safetensors");
    std::size_t header_length = 0;  // safetensors: 8 bytes little-endian, then the JSON header
    for (int i = 7; i >= 0; --i) header_length = header_length << 8 | safetensors.at(static_cast<std::size_t>(i));
    ASSERT_LE(8 + header_length, safetensors.size());
    const std::string json(safetensors.begin() + 8, safetensors.begin() + 8 + static_cast<std::ptrdiff_t>(header_length));
    EXPECT_NE(json.find("\"encoder.0.weight\""), std::string::npos) << json;
    const auto header = tt::read_file(work_ / "weights.hpp");
    const std::string text(header.begin(), header.end());
    EXPECT_NE(text.find("alignas(64) inline constexpr float parameters["), std::string::npos);
    EXPECT_NE(text.find("architecture_signature = 0x"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Samples, Resume, ::testing::Values("dense_autoencoder", "denoising_autoencoder"));

}  // namespace
