#include "typenet/io/png.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "typenet/io/atomic_file.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct ReadBack {
    std::size_t width = 0;
    std::size_t height = 0;
    std::vector<std::uint8_t> pixels;
};

// Reads a PNG as 8-bit grey with libpng's simplified API.
ReadBack read_png(const fs::path& path) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_file(&image, path.c_str()) == 0) {
        ADD_FAILURE() << path << ": " << image.message;
        return {};
    }
    image.format = PNG_FORMAT_GRAY;
    ReadBack result{image.width, image.height, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
    if (png_image_finish_read(&image, nullptr, result.pixels.data(), 0, nullptr) == 0) {
        ADD_FAILURE() << path << ": " << image.message;
    }
    return result;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class PngTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "typenet-png-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr);
        directory_ = name;
    }
    void TearDown() override { fs::remove_all(directory_); }

    // The names in the directory, to see that no temporary file is left.
    std::vector<std::string> names() const {
        std::vector<std::string> result;
        for (const fs::directory_entry& entry : fs::directory_iterator(directory_)) {
            result.push_back(entry.path().filename().string());
        }
        return result;
    }

    fs::path directory_;
};

TEST_F(PngTest, WritesClampedRoundedPixels) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const typenet::io::GrayImage image{
        .width = 4, .height = 2, .pixels = {0.0f, 1.0f, 0.5f, 0.2f, nan, -1.0f, 2.0f, 1.0f / 255.0f}};
    const fs::path path = directory_ / "figure.png";
    typenet::io::write_png(path, image);
    const ReadBack back = read_png(path);
    EXPECT_EQ(back.width, 4u);
    EXPECT_EQ(back.height, 2u);
    EXPECT_THAT(back.pixels, ElementsAre(0, 255, 128, 51, 0, 0, 255, 1));
    EXPECT_THAT(names(), ElementsAre("figure.png"));
}

TEST_F(PngTest, ReplacesAnExistingFile) {
    const fs::path path = directory_ / "figure.png";
    typenet::io::write_png(path, typenet::io::make_canvas(3, 3, 0.0f));
    typenet::io::write_png(path, typenet::io::make_canvas(5, 2, 1.0f));
    const ReadBack back = read_png(path);
    EXPECT_EQ(back.width, 5u);
    EXPECT_EQ(back.height, 2u);
    EXPECT_EQ(back.pixels, std::vector<std::uint8_t>(10, 255));
    EXPECT_THAT(names(), ElementsAre("figure.png"));
}

TEST_F(PngTest, PasteUpscalesByWholeFactors) {
    typenet::io::GrayImage canvas = typenet::io::make_canvas(5, 4, 0.25f);
    const std::vector<float> image{0.0f, 1.0f};  // 2 wide, 1 high
    typenet::io::paste(canvas, image, 2, 1, 1, 1, 2);
    const float b = 0.25f;
    EXPECT_THAT(canvas.pixels, ElementsAre(b, b, b, b, b,
                                           b, 0, 0, 1, 1,
                                           b, 0, 0, 1, 1,
                                           b, b, b, b, b));
}

TEST_F(PngTest, PasteRefusesWhatDoesNotFit) {
    typenet::io::GrayImage canvas = typenet::io::make_canvas(10, 10, 0.0f);
    const std::vector<float> image(4, 1.0f);
    try {
        typenet::io::paste(canvas, image, 2, 2, 7, 0, 2);
        ADD_FAILURE() << "expected a typenet::UsageError";
    } catch (const typenet::UsageError& error) {
        EXPECT_THAT(error.what(), HasSubstr("an image of 2x2 at scale 2 placed at (7, 0) does not fit on a canvas "
                                            "of 10x10"));
    }
    EXPECT_THROW(typenet::io::paste(canvas, image, 2, 2, 11, 0, 1), typenet::UsageError);
    EXPECT_THROW(typenet::io::paste(canvas, image, 2, 2, 0, 0, 0), typenet::UsageError);
    EXPECT_THROW(typenet::io::paste(canvas, image, 2, 2, 0, 0, std::numeric_limits<std::size_t>::max()),
                 typenet::UsageError);
    EXPECT_THROW(typenet::io::paste(canvas, image, 3, 2, 0, 0, 1), typenet::UsageError);
    EXPECT_EQ(canvas.pixels, std::vector<float>(100, 0.0f));
    // Touching the bottom-right corner fits.
    typenet::io::paste(canvas, image, 2, 2, 6, 6, 2);
    EXPECT_EQ(canvas.pixels.back(), 1.0f);
}

TEST_F(PngTest, RefusesAnInconsistentImage) {
    const typenet::io::GrayImage image{.width = 3, .height = 3, .pixels = std::vector<float>(8)};
    EXPECT_THROW(typenet::io::write_png(directory_ / "figure.png", image), typenet::UsageError);
    EXPECT_THROW(typenet::io::write_png(directory_ / "figure.png", typenet::io::make_canvas(0, 3, 0.0f)),
                 typenet::UsageError);
    EXPECT_TRUE(names().empty());
}

TEST_F(PngTest, LibpngErrorsNameThePath) {
    // Within our own limit of 2^31 - 1 but above libpng's of a million pixels a row.
    const typenet::io::GrayImage wide = typenet::io::make_canvas(1'000'001, 1, 0.0f);
    const fs::path path = directory_ / "wide.png";
    try {
        typenet::io::write_png(path, wide);
        ADD_FAILURE() << "expected a typenet::DataError";
    } catch (const typenet::DataError& error) {
        EXPECT_THAT(error.what(), HasSubstr(path.string() + ": cannot write PNG: Invalid IHDR data, after the "
                                                            "warning: Image width exceeds user limit in IHDR"));
    }
    EXPECT_TRUE(names().empty());
}

TEST_F(PngTest, MissingDirectoryNamesThePath) {
    const fs::path path = directory_ / "absent" / "figure.png";
    try {
        typenet::io::write_png(path, typenet::io::make_canvas(2, 2, 0.0f));
        ADD_FAILURE() << "expected a typenet::DataError";
    } catch (const typenet::DataError& error) {
        EXPECT_THAT(error.what(), AllOf(HasSubstr(path.string() + ": cannot create a temporary file beside it"),
                                        HasSubstr("No such file or directory")));
    }
}

TEST_F(PngTest, AtomicFileLeavesTheOldFileIntactWhenTheWriterThrows) {
    const fs::path path = directory_ / "history.csv";
    typenet::io::write_text_file_atomically(path, "epoch,loss\n1,0.5\n");
    const auto write_half_and_fail = [&] {
        typenet::io::AtomicFile file(path);
        std::fputs("epoch,loss\n1,0.5\n2,", file.get());
        // The temporary file sits beside the final one until the end.
        EXPECT_EQ(names().size(), 2u);
        throw std::runtime_error("training diverged");
    };
    EXPECT_THROW(write_half_and_fail(), std::runtime_error);
    EXPECT_EQ(read_text(path), "epoch,loss\n1,0.5\n");
    EXPECT_THAT(names(), ElementsAre("history.csv"));
}

TEST_F(PngTest, AtomicFileReplacesOnCommitKeepingPermissions) {
    const fs::path path = directory_ / "history.csv";
    typenet::io::write_text_file_atomically(path, "old\n");
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    typenet::io::AtomicFile file(path);
    std::fputs("new\n", file.get());
    file.commit();
    EXPECT_EQ(file.get(), nullptr);
    EXPECT_THROW(file.commit(), typenet::UsageError);
    EXPECT_EQ(read_text(path), "new\n");
    EXPECT_EQ(fs::status(path).permissions(),
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    EXPECT_THAT(names(), ElementsAre("history.csv"));
}

TEST_F(PngTest, AtomicFileReportsAFailedWrite) {
    // Writers need not check each fwrite: any failed operation sets the
    // stream's error flag, which commit checks. Reading from a stream opened
    // for writing only is an easy way to fail one.
    const fs::path path = directory_ / "history.csv";
    try {
        typenet::io::AtomicFile file(path);
        std::fputs("x", file.get());
        EXPECT_EQ(std::fgetc(file.get()), EOF);
        file.commit();
        ADD_FAILURE() << "expected a typenet::DataError";
    } catch (const typenet::DataError& error) {
        EXPECT_THAT(error.what(), AllOf(HasSubstr(path.string() + ": cannot write the temporary file "),
                                        HasSubstr("an earlier write failed")));
    }
    EXPECT_TRUE(names().empty());
}

}  // namespace
