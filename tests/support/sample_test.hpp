#pragma once
// The fixture of the tests that run a tutorial's sample (fashion_classifier,
// conv_autoencoder, fashion_cnn) as its users meet it: a small Fashion-MNIST
// folder written once for the suite, runs of the program on it into scratch
// folders, and what every such sample is judged by: its exit codes, its last
// line, and a resumed run against an unbroken one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/idx_files.hpp"
#include "support/run_program.hpp"

namespace typenet::testing {

inline constexpr int exit_data_error = 1, exit_usage_error = 2;

inline std::string text_of(const Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

// Each row of history.csv without its last column, the epoch's wall time.
inline std::vector<std::string> history_without_seconds(const std::filesystem::path& file) {
    std::vector<std::string> rows = lines_of(text_of(read_file(file)));
    for (auto& row : rows) row.resize(row.rfind(','));
    return rows;
}

// The JSON header of a safetensors file: its length in 8 bytes little-endian, then the header.
inline nlohmann::json safetensors_header(const std::filesystem::path& file) {
    const Bytes safetensors = read_file(file);
    std::size_t header_length = 0;
    for (int i = 7; i >= 0; --i) header_length = header_length << 8 | safetensors.at(static_cast<std::size_t>(i));
    if (8 + header_length > safetensors.size()) throw std::runtime_error(file.string() + ": the header runs past the end");
    return nlohmann::json::parse(safetensors.begin() + 8,
                                 safetensors.begin() + 8 + static_cast<std::ptrdiff_t>(header_length));
}

// A suite's fixture, given what it tests:
//   struct Sample {
//       static inline const std::filesystem::path program = TYPENET_SAMPLES_DIR "/name";
//       static inline const std::regex last_line{...};  // of a successful run
//       static constexpr std::size_t train_images = ..., test_images = ...;  // of the small data set
//   };
template <class Sample>
class SampleTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        data_ = new TempDir("typenet " + Sample::program.filename().string() + " data ");
        write_fashion_mnist(data_->path(), small_fashion_mnist(Sample::train_images, Sample::test_images),
                            Compression::gzip);
    }
    static void TearDownTestSuite() {
        delete data_;
        data_ = nullptr;
    }

    // A run on the small data into `out`, on two threads so that runs compare bit for bit.
    [[nodiscard]] static ProgramResult train(const std::filesystem::path& out, const std::vector<std::string>& flags) {
        std::vector<std::string> arguments{"--data", data_->path().string(), "--out", out.string(), "--threads", "2"};
        arguments.insert(arguments.end(), flags.begin(), flags.end());
        return run_program(Sample::program, arguments);
    }

    static void expect_success(const ProgramResult& result) {
        ASSERT_EQ(result.exit_code, 0) << result;
        const std::vector<std::string> lines = lines_of(result.out);
        ASSERT_FALSE(lines.empty()) << result;
        EXPECT_TRUE(std::regex_match(lines.back(), Sample::last_line)) << "last line: " << lines.back() << '\n'
                                                                       << result;
    }

    // A data folder that is not there: exit code 1, a message naming it, and no --out folder made.
    void expect_missing_data_refused() const {
        const std::filesystem::path missing = scratch_ / "no such data";
        const ProgramResult result = run_program(Sample::program, {"--data", missing.string(), "--out", out_.string()});
        EXPECT_EQ(result.exit_code, exit_data_error) << result;
        EXPECT_THAT(result.err, ::testing::HasSubstr(missing.string())) << result;
        EXPECT_FALSE(std::filesystem::exists(out_));
    }

    // Two epochs straight, and one epoch then --resume to two, give the same
    // history (but for its seconds), the same last line, and the same `files`.
    void expect_resumed_run_is_the_straight_run(const std::vector<std::string>& files) const {
        const std::filesystem::path straight = scratch_ / "straight", half = scratch_ / "half",
                                    resumed = scratch_ / "resumed";
        const ProgramResult straight_run = train(straight, {"--epochs", "2", "--seed", "3"});
        ASSERT_NO_FATAL_FAILURE(expect_success(straight_run));
        ASSERT_NO_FATAL_FAILURE(expect_success(train(half, {"--epochs", "1", "--seed", "3"})));
        const ProgramResult resumed_run =
            train(resumed, {"--epochs", "2", "--resume", (half / "checkpoint.tnm").string()});
        ASSERT_NO_FATAL_FAILURE(expect_success(resumed_run));

        EXPECT_EQ(history_without_seconds(straight / "history.csv"), history_without_seconds(resumed / "history.csv"));
        for (const std::string& file : files) EXPECT_EQ(read_file(straight / file), read_file(resumed / file)) << file;
        EXPECT_EQ(lines_of(resumed_run.out).back(), lines_of(straight_run.out).back());
    }

    TempDir scratch_{"typenet " + Sample::program.filename().string() + " "};
    const std::filesystem::path out_ = scratch_ / "out dir";
    static inline TempDir* data_ = nullptr;
};

}  // namespace typenet::testing
