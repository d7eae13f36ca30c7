#include "typenet/io/png.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <png.h>
#include <sys/resource.h>  // getrusage
#include <sys/stat.h>      // umask
#include <unistd.h>        // pathconf

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "typenet/io/atomic_file.hpp"
#include "typenet/io/pgm_png_reader.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::string_view_literals;

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

void write_bytes(const fs::path& path, std::string_view bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The message of the DataError `action` throws; a test failure if it throws none.
template <class Action>
std::string data_error_message(Action&& action) {
    try {
        action();
    } catch (const typenet::DataError& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected a typenet::DataError";
    return {};
}

// The most memory the process has held so far, in KiB.
long peak_resident_kib() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
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

// Editors and tools write through a symbolic link: the link stays a link
// (to a dotfile kept in a repository, say) and the file it names gets the
// new contents, keeping its mode.
TEST_F(PngTest, AtomicFileWritesThroughSymbolicLinks) {
    const fs::path real = directory_ / "real.csv", link = directory_ / "link.csv", chain = directory_ / "chain.csv";
    typenet::io::write_text_file_atomically(real, "old\n");
    fs::permissions(real, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    fs::create_symlink("real.csv", link);
    fs::create_symlink("link.csv", chain);
    fs::create_directory(directory_ / "sub");
    fs::create_symlink("../real.csv", directory_ / "sub" / "up.csv");

    typenet::io::write_text_file_atomically(chain, "new\n");
    EXPECT_EQ(read_text(real), "new\n");
    typenet::io::write_text_file_atomically(directory_ / "sub" / "up.csv", "up\n");
    EXPECT_EQ(read_text(real), "up\n");

    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_TRUE(fs::is_symlink(chain));
    EXPECT_TRUE(fs::is_symlink(directory_ / "sub" / "up.csv"));
    EXPECT_EQ(fs::read_symlink(chain), "link.csv");
    EXPECT_EQ(fs::status(real).permissions(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    std::vector<std::string> listing = names();
    std::ranges::sort(listing);
    EXPECT_THAT(listing, ElementsAre("chain.csv", "link.csv", "real.csv", "sub"));
}

// A dangling link names the file to create; one into a missing folder, or a
// loop of links, is an error that leaves the links as they were.
TEST_F(PngTest, AtomicFileWritesTheFileADanglingLinkNames) {
    const fs::path link = directory_ / "new.csv";
    fs::create_symlink("created.csv", link);
    typenet::io::write_text_file_atomically(link, "created\n");
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(read_text(directory_ / "created.csv"), "created\n");

    const fs::path nowhere = directory_ / "nowhere.csv";
    fs::create_symlink("missing/file.csv", nowhere);
    EXPECT_THAT(data_error_message([&] { typenet::io::write_text_file_atomically(nowhere, "x"); }),
                AllOf(StartsWith(nowhere.string() + ": cannot create a temporary file beside " +
                                 (directory_ / "missing" / "file.csv").string() + ", where the symbolic link points"),
                      HasSubstr("No such file or directory")));
    EXPECT_TRUE(fs::is_symlink(nowhere));

    const fs::path loop = directory_ / "loop.csv";
    fs::create_symlink("loop-back.csv", loop);
    fs::create_symlink("loop.csv", directory_ / "loop-back.csv");
    EXPECT_THAT(data_error_message([&] { typenet::io::write_text_file_atomically(loop, "x"); }),
                StartsWith(loop.string() + ": cannot follow its symbolic links: Too many levels of symbolic links"));
    EXPECT_TRUE(fs::is_symlink(loop));
    std::vector<std::string> listing = names();
    std::ranges::sort(listing);
    EXPECT_THAT(listing, ElementsAre("created.csv", "loop-back.csv", "loop.csv", "new.csv", "nowhere.csv"));
}

// The temporary file's name must be legal wherever the final one is.
TEST_F(PngTest, AtomicFileTakesTheLongestLegalName) {
    const long longest = ::pathconf(directory_.c_str(), _PC_NAME_MAX);
    ASSERT_GT(longest, 0);
    const std::string name(static_cast<std::size_t>(longest), 'n');
    typenet::io::write_text_file_atomically(directory_ / name, "long\n");
    EXPECT_EQ(read_text(directory_ / name), "long\n");
    EXPECT_THAT(names(), ElementsAre(name));
}

// As fopen would give it, whatever the umask is at the time.
TEST_F(PngTest, AtomicFileGivesANewFileTheModeTheUmaskAllows) {
    const mode_t saved = ::umask(022);
    for (const mode_t mask : {022, 077, 027, 002}) {
        ::umask(mask);
        const fs::path path = directory_ / fmt::format("new-{:03o}.csv", mask);
        typenet::io::write_text_file_atomically(path, "x");
        const auto mode = static_cast<mode_t>(fs::status(path).permissions());
        EXPECT_EQ(fmt::format("{:04o}", mode), fmt::format("{:04o}", 0666 & ~mask))
            << fmt::format("umask {:03o}", mask);
    }
    ::umask(saved);
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

// ---- Reading grey images (io::read_gray_image) ----

// How a PNG stores its samples: each kind of file read_gray_image reduces to grey.
struct PngKind {
    const char* name;
    int color_type;
    int bit_depth;
    int interlace;
};

void PrintTo(const PngKind& kind, std::ostream* stream) { *stream << kind.name; }

// The grey of pixel (x, y) of the test pattern: every value from 0 to 255 over 28x28 pixels, in no order an
// interlacing pass could keep by chance.
std::uint8_t pattern(std::size_t x, std::size_t y) {
    return static_cast<std::uint8_t>((x * 37 + y * 101 + x * y) % 256);
}

// The grey `kind` can hold nearest to `grey`, as read_gray_image returns it: fewer than 8 bits are scaled up.
std::uint8_t stored_grey(const PngKind& kind, std::uint8_t grey) {
    if (kind.color_type != PNG_COLOR_TYPE_GRAY || kind.bit_depth >= 8) return grey;
    const int levels = (1 << kind.bit_depth) - 1;
    return static_cast<std::uint8_t>((grey >> (8 - kind.bit_depth)) * (255 / levels));
}

// The bytes of one row of the pattern as `kind` lays them out: colours as equal red, green and blue (which
// reduce to grey exactly), 16-bit samples as grey * 257, alpha anything (read_gray_image drops it).
std::vector<png_byte> pattern_row(const PngKind& kind, std::size_t width, std::size_t y) {
    std::vector<png_byte> row;
    if (kind.color_type == PNG_COLOR_TYPE_GRAY && kind.bit_depth < 8) {
        const int per_byte = 8 / kind.bit_depth;
        row.assign((width + per_byte - 1) / per_byte, 0);
        for (std::size_t x = 0; x < width; ++x) {
            const int sample = pattern(x, y) >> (8 - kind.bit_depth);
            row[x / per_byte] |= static_cast<png_byte>(sample << (8 - kind.bit_depth * (1 + int(x % per_byte))));
        }
        return row;
    }
    const bool colour = kind.color_type & PNG_COLOR_MASK_COLOR && kind.color_type != PNG_COLOR_TYPE_PALETTE;
    const bool alpha = kind.color_type & PNG_COLOR_MASK_ALPHA;
    for (std::size_t x = 0; x < width; ++x) {
        const png_byte grey = pattern(x, y);
        const auto sample = [&](png_byte value) {
            row.push_back(value);
            if (kind.bit_depth == 16) row.push_back(value);
        };
        for (int channel = 0; channel < (colour ? 3 : 1); ++channel) sample(grey);
        if (alpha) sample(static_cast<png_byte>(x * 9));
    }
    return row;
}

// libpng's writer jumps here on an error: only trivially destructible locals in this frame.
bool write_png_rows_of_kind(std::FILE* file, const PngKind& kind, png_uint_32 width, png_uint_32 height,
                            png_bytepp rows, png_const_colorp palette) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
    if (info == nullptr || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, kind.bit_depth, kind.color_type, kind.interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (kind.color_type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, palette, 256);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

// The pattern as a PNG of `kind`, written by libpng itself rather than by typenet's writer (which writes
// 8-bit grey, not interlaced, only). A palette PNG's palette is the 256 greys, so its indices are the greys.
void write_pattern_png(const fs::path& path, const PngKind& kind, std::size_t width, std::size_t height) {
    std::vector<std::vector<png_byte>> rows;
    std::vector<png_bytep> row_pointers;
    for (std::size_t y = 0; y < height; ++y) rows.push_back(pattern_row(kind, width, y));
    for (std::vector<png_byte>& row : rows) row_pointers.push_back(row.data());
    std::vector<png_color> palette;
    for (int grey = 0; grey < 256; ++grey) palette.push_back({png_byte(grey), png_byte(grey), png_byte(grey)});
    std::FILE* file = std::fopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr) << path;
    const bool written = write_png_rows_of_kind(file, kind, static_cast<png_uint_32>(width),
                                                static_cast<png_uint_32>(height), row_pointers.data(), palette.data());
    ASSERT_EQ(std::fclose(file), 0) << path;
    ASSERT_TRUE(written) << path;
}

class GrayImageKinds : public PngTest, public ::testing::WithParamInterface<PngKind> {};

TEST_P(GrayImageKinds, EveryPixelOfThePatternReadsBack) {
    const PngKind kind = GetParam();
    constexpr std::size_t width = 28, height = 28;
    const fs::path path = directory_ / "pattern.png";
    write_pattern_png(path, kind, width, height);
    const typenet::io::GrayImage image = typenet::io::read_gray_image(path);
    ASSERT_EQ(image.width, width);
    ASSERT_EQ(image.height, height);
    ASSERT_EQ(image.pixels.size(), width * height);
    std::size_t wrong = 0;
    std::string first_wrong;
    for (std::size_t y = 0; y < height; ++y) {
        for (std::size_t x = 0; x < width; ++x) {
            const float expected = static_cast<float>(stored_grey(kind, pattern(x, y))) / 255.0f;
            const float got = image.pixels[y * width + x];
            if (got != expected && wrong++ == 0)
                first_wrong = fmt::format(" (the first at ({}, {}): {} where {} was written)", x, y, got, expected);
        }
    }
    EXPECT_EQ(wrong, 0u) << wrong << " of " << width * height << " pixels are wrong" << first_wrong;
}

INSTANTIATE_TEST_SUITE_P(
    Png, GrayImageKinds,
    ::testing::Values(PngKind{"Grey8", PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE},
                      PngKind{"Grey8Adam7", PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_ADAM7},
                      PngKind{"Grey4", PNG_COLOR_TYPE_GRAY, 4, PNG_INTERLACE_NONE},
                      PngKind{"Grey4Adam7", PNG_COLOR_TYPE_GRAY, 4, PNG_INTERLACE_ADAM7},
                      PngKind{"Grey16", PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE},
                      PngKind{"Grey16Adam7", PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_ADAM7},
                      PngKind{"GreyAlpha8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE},
                      PngKind{"Palette8", PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE},
                      PngKind{"Palette8Adam7", PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_ADAM7},
                      PngKind{"Rgb8", PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE},
                      PngKind{"Rgb8Adam7", PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7},
                      PngKind{"Rgb16", PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE},
                      PngKind{"RgbAlpha8", PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE},
                      PngKind{"RgbAlpha8Adam7", PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_ADAM7}),
    [](const ::testing::TestParamInfo<PngKind>& info) { return std::string(info.param.name); });

TEST_F(PngTest, PgmOfEveryKindReadsBack) {
    const auto read = [&](std::string_view bytes) {
        write_bytes(directory_ / "image.pgm", bytes);
        const typenet::io::GrayImage image = typenet::io::read_gray_image(directory_ / "image.pgm");
        EXPECT_EQ(image.pixels.size(), image.width * image.height);
        return std::tuple(image.width, image.height, image.pixels);
    };
    EXPECT_EQ(read("P5\n# a comment\n3 1\n255\n\x00\x80\xff"sv),
              std::tuple(3u, 1u, std::vector{0.0f, 128 / 255.0f, 1.0f}));
    EXPECT_EQ(read("P5 2 1 1000\n\x03\xe8\x00\x00"sv), std::tuple(2u, 1u, std::vector{1.0f, 0.0f}));
    EXPECT_EQ(read("P2\n2 2\n# maximum\n15\n0 15\n\t5   10"),
              std::tuple(2u, 2u, std::vector{0.0f, 1.0f, 5 / 15.0f, 10 / 15.0f}));
}

// Leading zeros change no value, however many there are: "00000000255" is 255.
TEST_F(PngTest, PgmTextNumbersMayHaveLeadingZeros) {
    write_bytes(directory_ / "zeros.pgm", "P2\n0000000002 0000000000001\n00000000255\n00000000255 0000000000007\n");
    const typenet::io::GrayImage image = typenet::io::read_gray_image(directory_ / "zeros.pgm");
    EXPECT_EQ(image.width, 2u);
    EXPECT_EQ(image.height, 1u);
    EXPECT_THAT(image.pixels, ElementsAre(1.0f, 7 / 255.0f));
}

TEST_F(PngTest, PgmSampleAboveTheMaximumValueIsRefused) {
    const fs::path path = directory_ / "bright.pgm";
    write_bytes(path, "P2\n3 1\n255\n0 99999999999 0\n");
    EXPECT_THAT(data_error_message([&] { typenet::io::read_gray_image(path); }),
                AllOf(StartsWith(path.string() + ": "),
                      HasSubstr("pixel 2 (row 1, column 2) at byte 13 is 99999999999, above the maximum value 255")));
    write_bytes(path, "P2\n1 1\n255\n" + std::string(30, '9') + "\n");
    EXPECT_THAT(data_error_message([&] { typenet::io::read_gray_image(path); }),
                AllOf(StartsWith(path.string() + ": "),
                      HasSubstr("pixel 1 (row 1, column 1) at byte 11 has 30 digits")));
    write_bytes(path, "P5\n2 1\n200\n\xc8\xc9");
    EXPECT_THAT(data_error_message([&] { typenet::io::read_gray_image(path); }),
                AllOf(StartsWith(path.string() + ": "),
                      HasSubstr("pixel 2 (row 1, column 2) at byte 12 is 201, above the maximum value 200")));
}

// A header of 20 bytes must not make the reader allocate the gigabyte its
// size would take: the size is checked against the bytes there first.
TEST_F(PngTest, PgmAnnouncingMorePixelsThanItHoldsIsRefusedBeforeAllocating) {
    const fs::path binary = directory_ / "binary.pgm", text = directory_ / "text.pgm";
    write_bytes(binary, "P5\n16384 16384\n255\nx");
    write_bytes(text, "P2\n16384 16384\n255\n7\n");
    ASSERT_EQ(fs::file_size(binary), 20u);
    const long peak_before = peak_resident_kib();
    EXPECT_EQ(data_error_message([&] { typenet::io::read_gray_image(binary); }),
              binary.string() + ": truncated: the header announces 16384x16384 pixels (268435456), which take "
                                "268435456 bytes; the file has 1 after the header");
    EXPECT_EQ(data_error_message([&] { typenet::io::read_gray_image(text); }),
              text.string() + ": truncated: the header announces 16384x16384 pixels (268435456), which take at "
                              "least 536870912 bytes as text (a separator and a digit each); the file has 3 after "
                              "the header");
    EXPECT_LT(peak_resident_kib() - peak_before, 64 * 1024) << "KiB more were held at the peak";
}

}  // namespace
