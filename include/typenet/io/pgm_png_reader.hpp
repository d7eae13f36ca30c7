#pragma once
// Reading grey images an app is given: PNG (any colour type, reduced to grey
// by libpng) and PGM (binary P5 and text P2, 8 or 16 bits). Sizes are checked
// against a bound before anything is allocated; every failure is a DataError
// naming the file.
#include <png.h>

#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/io/png.hpp"

namespace typenet::io {

inline constexpr std::size_t max_image_side = 1 << 14;

namespace detail {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

[[noreturn]] inline void image_error(const std::filesystem::path& path, const std::string& problem) {
    throw DataError(fmt::format("{}: {}", path.string(), problem));
}

inline void check_image_size(const std::filesystem::path& path, std::size_t width, std::size_t height) {
    if (width == 0 || height == 0 || width > max_image_side || height > max_image_side)
        image_error(path, fmt::format("an image of {}x{} pixels is outside 1 to {} on each side", width, height,
                                      max_image_side));
}

// PGM: "P5" or "P2", width, height, maxval, separated by whitespace and # comments.
inline GrayImage parse_pgm(const std::filesystem::path& path, const std::vector<unsigned char>& bytes) {
    std::size_t at = 2;
    auto next_number = [&](const char* what) -> std::size_t {
        for (;;) {
            while (at < bytes.size() && std::isspace(bytes[at])) ++at;
            if (at < bytes.size() && bytes[at] == '#')
                while (at < bytes.size() && bytes[at] != '\n') ++at;
            else
                break;
        }
        std::size_t value = 0, digits = 0;
        while (at < bytes.size() && std::isdigit(bytes[at]) && digits < 9) value = value * 10 + (bytes[at++] - '0'), ++digits;
        if (digits == 0) image_error(path, fmt::format("not a valid PGM file: expected the {} in the header", what));
        return value;
    };
    const bool binary = bytes[1] == '5';
    const std::size_t width = next_number("width"), height = next_number("height"), maxval = next_number("maximum value");
    check_image_size(path, width, height);
    if (maxval == 0 || maxval > 65535) image_error(path, fmt::format("a PGM maximum value of {} is outside 1 to 65535", maxval));
    GrayImage image{width, height, std::vector<float>(width * height)};
    if (binary) {
        ++at;  // the single whitespace after maxval
        const std::size_t sample = maxval > 255 ? 2 : 1;
        if (bytes.size() < at || bytes.size() - at < width * height * sample)
            image_error(path, fmt::format("truncated: a {}x{} PGM needs {} bytes of pixels, the file holds {}", width,
                                          height, width * height * sample, bytes.size() < at ? 0 : bytes.size() - at));
        for (std::size_t i = 0; i < width * height; ++i) {
            const std::size_t v = sample == 2 ? (std::size_t(bytes[at + 2 * i]) << 8 | bytes[at + 2 * i + 1]) : bytes[at + i];
            image.pixels[i] = static_cast<float>(std::min(v, maxval)) / static_cast<float>(maxval);
        }
    } else {
        for (std::size_t i = 0; i < width * height; ++i)
            image.pixels[i] = static_cast<float>(std::min(next_number("pixels"), maxval)) / static_cast<float>(maxval);
    }
    return image;
}

// libpng would print its messages; the DataError says what went wrong instead.
inline void quiet_png_error(png_structp png, png_const_charp) { png_longjmp(png, 1); }
inline void quiet_png_warning(png_structp, png_const_charp) {}

// libpng reports errors by longjmp: nothing with a destructor lives in this frame.
inline bool decode_png_rows(std::FILE* file, png_structp png, png_infop info, std::vector<unsigned char>& pixels,
                            png_uint_32& width, png_uint_32& height) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_init_io(png, file);
    png_set_user_limits(png, max_image_side, max_image_side);
    png_read_info(png, info);
    width = png_get_image_width(png, info);
    height = png_get_image_height(png, info);
    const int color = png_get_color_type(png, info);
    if (png_get_bit_depth(png, info) == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (color & PNG_COLOR_MASK_ALPHA || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (color & PNG_COLOR_MASK_COLOR || color == PNG_COLOR_TYPE_PALETTE) png_set_rgb_to_gray_fixed(png, 1, -1, -1);
    // An Adam7 image comes as seven passes over the rows, each filling in
    // more of their pixels; libpng merges them into whole rows only if asked.
    const int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != width) return false;
    pixels.resize(std::size_t(width) * height);
    for (int pass = 0; pass < passes; ++pass)
        for (png_uint_32 y = 0; y < height; ++y) png_read_row(png, pixels.data() + std::size_t(y) * width, nullptr);
    png_read_end(png, nullptr);
    return true;
}

}  // namespace detail

// A grey image with values in [0, 1], from a PNG or a PGM file (told apart by their first bytes).
inline GrayImage read_gray_image(const std::filesystem::path& path) {
    std::unique_ptr<std::FILE, detail::FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) detail::image_error(path, fmt::format("cannot open: {}", std::strerror(errno)));
    unsigned char magic[8] = {};
    const std::size_t got = std::fread(magic, 1, sizeof magic, file.get());
    if (got >= 2 && magic[0] == 'P' && (magic[1] == '5' || magic[1] == '2')) {
        std::vector<unsigned char> bytes(magic, magic + got);
        unsigned char buffer[65536];
        const std::size_t bound = 2 * max_image_side * max_image_side + 4096;
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) {
            if (bytes.size() + n > bound) detail::image_error(path, "too large for a PGM image");
            bytes.insert(bytes.end(), buffer, buffer + n);
        }
        return detail::parse_pgm(path, bytes);
    }
    if (got < 8 || png_sig_cmp(magic, 0, 8) != 0) detail::image_error(path, "neither a PNG nor a PGM (P5, P2) image");
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, detail::quiet_png_error,
                                             detail::quiet_png_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        throw std::bad_alloc();
    }
    png_set_sig_bytes(png, 8);
    std::vector<unsigned char> pixels;
    png_uint_32 width = 0, height = 0;
    const bool ok = detail::decode_png_rows(file.get(), png, info, pixels, width, height);
    png_destroy_read_struct(&png, &info, nullptr);
    if (!ok) detail::image_error(path, "not a valid PNG image (corrupt, truncated or of an unsupported kind)");
    GrayImage image{width, height, std::vector<float>(pixels.size())};
    for (std::size_t i = 0; i < pixels.size(); ++i) image.pixels[i] = static_cast<float>(pixels[i]) / 255.0f;
    return image;
}

}  // namespace typenet::io
