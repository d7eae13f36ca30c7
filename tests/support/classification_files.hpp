#pragma once
// What a classifier sample (fashion_classifier, fashion_cnn) leaves in --out
// after a run of one epoch validated on the test set, read back and checked:
// history.csv with the accuracies, metrics.json, the figures at their sizes,
// and the last line, all telling the same test accuracy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/idx_files.hpp"
#include "support/run_program.hpp"
#include "support/sample_test.hpp"

namespace typenet::testing {

// The tutorial's class_names, label by label.
inline const std::vector<std::string> fashion_class_names{"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                          "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                          "Bag",         "Ankle boot"};

// The numbers of one row of history.csv, or nothing if it is not six numbers.
inline std::optional<std::array<double, 6>> classification_history_numbers(const std::string& row) {
    std::array<double, 6> numbers{};
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

// A PNG file's width and height, from its IHDR chunk; nothing if it is not a PNG.
inline std::optional<std::array<std::uint32_t, 2>> png_size(const Bytes& png) {
    const Bytes signature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (png.size() < 24 || !std::equal(signature.begin(), signature.end(), png.begin())) return std::nullopt;
    const auto big_endian = [&](std::size_t at) {
        return std::uint32_t{png[at]} << 24 | std::uint32_t{png[at + 1]} << 16 | std::uint32_t{png[at + 2]} << 8 |
               std::uint32_t{png[at + 3]};
    };
    return std::array{big_endian(16), big_endian(20)};
}

// `result` is a successful run of one epoch into `out` on `test_count` test images.
inline void expect_classification_files(const std::filesystem::path& out, const ProgramResult& result,
                                        std::size_t test_count) {
    using ::testing::HasSubstr;
    const std::vector<std::string> rows = lines_of(text_of(read_file(out / "history.csv")));
    ASSERT_EQ(rows.size(), 2u) << "history.csv: a header and one row per epoch";
    EXPECT_EQ(rows[0], "epoch,loss,accuracy,val_loss,val_accuracy,seconds");
    const auto numbers = classification_history_numbers(rows[1]);
    ASSERT_TRUE(numbers) << "not six numbers: " << rows[1];
    const auto [epoch, loss, accuracy, val_loss, val_accuracy, seconds] = *numbers;
    EXPECT_EQ(epoch, 1.0);
    EXPECT_GT(loss, 0.0);
    EXPECT_GT(val_loss, 0.0);
    EXPECT_GE(seconds, 0.0);
    for (const double share : {accuracy, val_accuracy}) {
        EXPECT_GT(share, 0.2) << "no better than chance: " << rows[1];
        EXPECT_LE(share, 1.0) << rows[1];
    }

    // The last line, metrics.json and history.csv tell the same test accuracy.
    const double printed = std::stod(lines_of(result.out).back().substr(std::string_view("test_accuracy: ").size()));
    EXPECT_NEAR(printed, val_accuracy, 0.5e-4);
    const auto metrics = nlohmann::json::parse(text_of(read_file(out / "metrics.json")));
    EXPECT_NEAR(metrics.at("test_accuracy").get<double>(), val_accuracy, 1e-6);
    EXPECT_NEAR(metrics.at("test_loss").get<double>(), val_loss, 1e-6);
    EXPECT_EQ(metrics.at("test_count").get<std::size_t>(), test_count);
    const auto& classes = metrics.at("classes");
    ASSERT_EQ(classes.size(), fashion_class_names.size());
    std::size_t support = 0;
    for (std::size_t k = 0; k < classes.size(); ++k) {
        EXPECT_EQ(classes[k].at("class").get<std::size_t>(), k);
        EXPECT_EQ(classes[k].at("name").get<std::string>(), fashion_class_names[k]);
        for (const char* ratio : {"precision", "recall"}) {
            EXPECT_GE(classes[k].at(ratio).get<double>(), 0.0) << k << ' ' << ratio;
            EXPECT_LE(classes[k].at(ratio).get<double>(), 1.0) << k << ' ' << ratio;
        }
        support += classes[k].at("support").get<std::size_t>();
    }
    EXPECT_EQ(support, test_count);

    // The confusion matrix at plot.hpp's size; 30 predictions in three rows of
    // ten, each under two title lines (see plot.hpp for the layout).
    const auto confusion = png_size(read_file(out / "confusion.png"));
    ASSERT_TRUE(confusion) << "confusion.png is not a PNG";
    EXPECT_EQ(*confusion, (std::array<std::uint32_t, 2>{760, 680}));
    const auto predictions = png_size(read_file(out / "predictions.png"));
    ASSERT_TRUE(predictions) << "predictions.png is not a PNG";
    EXPECT_EQ((*predictions)[1], 30u + 4u + 3u * (2u * 14u + 4u + 28u * 4u + 4u));
    EXPECT_GE((*predictions)[0], 10u * (28u * 4u + 4u));
    for (const char* figure : {"loss.svg", "accuracy.svg"})
        EXPECT_THAT(text_of(read_file(out / figure)), HasSubstr("<svg")) << figure;
    for (const char* file : {"model.tnm", "checkpoint.tnm"})
        EXPECT_GT(std::filesystem::file_size(out / file), 0u) << file;
}

}  // namespace typenet::testing
