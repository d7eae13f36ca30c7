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
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/png.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

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

// PGM: "P5" or "P2", width, height, maxval, separated by whitespace and #
// comments, then the pixels: bytes (P5) or numbers (P2). As netpbm does, a
// pixel above maxval is an error, not a value to clamp.
inline GrayImage parse_pgm(const std::filesystem::path& path, const std::vector<unsigned char>& bytes) {
    std::size_t at = 2, number_at = 0;  // where the next byte to read is; where the last number began
    // All the digits of the number, however many: leading zeros are legal,
    // and a number cut after some digits would be read as two. `what()`
    // names it, for the messages only.
    const auto next_number = [&](const auto& what) -> std::uint64_t {
        for (;;) {
            while (at < bytes.size() && std::isspace(bytes[at])) ++at;
            if (at < bytes.size() && bytes[at] == '#')
                while (at < bytes.size() && bytes[at] != '\n') ++at;
            else
                break;
        }
        number_at = at;
        std::uint64_t value = 0;
        bool fits = true;
        for (; at < bytes.size() && std::isdigit(bytes[at]); ++at) {
            const unsigned digit = bytes[at] - '0';
            fits = fits && value <= (std::numeric_limits<std::uint64_t>::max() - digit) / 10;
            if (fits) value = value * 10 + digit;
        }
        if (at == number_at)
            image_error(path, fmt::format("not a valid PGM file: expected {} at byte {}{}", what(), number_at,
                                          at == bytes.size() ? ", the end of the file" : ""));
        if (!fits)
            image_error(path, fmt::format("{} at byte {} has {} digits, more than any number in a PGM", what(),
                                          number_at, at - number_at));
        return value;
    };
    const auto named = [](const char* name) { return [name] { return std::string(name); }; };
    const bool binary = bytes[1] == '5';
    const std::uint64_t width = next_number(named("the width")), height = next_number(named("the height")),
                        maxval = next_number(named("the maximum value"));
    check_image_size(path, width, height);
    if (maxval == 0 || maxval > 65535) image_error(path, fmt::format("a PGM maximum value of {} is outside 1 to 65535", maxval));

    // Checked before the pixels are allocated: a header of a few bytes can
    // announce a gigabyte. Text takes at least a separator and a digit a pixel.
    const std::size_t pixel_count = width * height, sample_bytes = maxval > 255 ? 2 : 1;
    const std::size_t header_end = binary ? at + 1 : at;  // P5: the single whitespace after maxval
    const std::size_t needed = binary ? pixel_count * sample_bytes : 2 * pixel_count;
    const std::size_t held = bytes.size() > header_end ? bytes.size() - header_end : 0;
    if (held < needed)
        image_error(path, fmt::format("truncated: the header announces {}x{} pixels ({}), which take {}{} bytes{}; the "
                                      "file has {} after the header",
                                      width, height, pixel_count, binary ? "" : "at least ", needed,
                                      binary ? "" : " as text (a separator and a digit each)", held));

    const auto pixel_name = [&](std::size_t i) {
        return fmt::format("pixel {} (row {}, column {})", i + 1, i / width + 1, i % width + 1);
    };
    GrayImage image{width, height, std::vector<float>(pixel_count)};
    for (std::size_t i = 0; i < pixel_count; ++i) {
        std::uint64_t value = 0;
        if (binary) {
            number_at = header_end + i * sample_bytes;
            value = sample_bytes == 2 ? std::uint64_t{bytes[number_at]} << 8 | bytes[number_at + 1] : bytes[number_at];
        } else {
            value = next_number([&] { return pixel_name(i); });
        }
        if (value > maxval)
            image_error(path, fmt::format("{} at byte {} is {}, above the maximum value {}", pixel_name(i), number_at,
                                          value, maxval));
        image.pixels[i] = static_cast<float>(value) / static_cast<float>(maxval);
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
