#pragma once
// Grey-scale figures as PNG files: a canvas to paste images on, upscaled so
// that a 28x28 digit stays visible, and a writer that never leaves a
// half-written file behind.
#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <png.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/atomic_file.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// Row-major pixels, 0 black to 1 white.
struct GrayImage {
    std::size_t width = 0;
    std::size_t height = 0;
    std::vector<float> pixels;
};

inline GrayImage make_canvas(std::size_t width, std::size_t height, float background) {
    return GrayImage{.width = width, .height = height, .pixels = std::vector<float>(width * height, background)};
}

// Copies a row-major `image_width` x `image_height` image onto `canvas` with
// its top-left corner at (x, y), each pixel becoming a `scale` x `scale` square.
inline void paste(GrayImage& canvas, std::span<const float> image, std::size_t image_width,
                  std::size_t image_height, std::size_t x, std::size_t y, std::size_t scale) {
    if (image.size() != image_width * image_height) {
        throw UsageError(fmt::format("paste: an image of {}x{} needs {} pixels, got {}", image_width,
                                     image_height, image_width * image_height, image.size()));
    }
    if (canvas.pixels.size() != canvas.width * canvas.height) {
        throw UsageError(fmt::format("paste: a canvas of {}x{} needs {} pixels, has {}", canvas.width,
                                     canvas.height, canvas.width * canvas.height, canvas.pixels.size()));
    }
    // Divides instead of multiplying so that absurd sizes cannot overflow.
    const auto fits = [scale](std::size_t offset, std::size_t length, std::size_t limit) {
        return offset <= limit && length <= (limit - offset) / scale;
    };
    if (scale == 0 || !fits(x, image_width, canvas.width) || !fits(y, image_height, canvas.height)) {
        throw UsageError(fmt::format("paste: an image of {}x{} at scale {} placed at ({}, {}) does not fit "
                                     "on a canvas of {}x{}",
                                     image_width, image_height, scale, x, y, canvas.width, canvas.height));
    }
    for (std::size_t row = 0; row < image_height * scale; ++row) {
        for (std::size_t column = 0; column < image_width * scale; ++column) {
            canvas.pixels[(y + row) * canvas.width + x + column] =
                image[row / scale * image_width + column / scale];
        }
    }
}

namespace detail {

// What libpng said, kept for the DataError: its errors can be as terse as
// "Invalid IHDR data", with the reason in the warning just before.
struct PngMessages {
    char error[256] = "";
    char warning[256] = "";
};

// libpng must not return from its error handler: it jumps back to the
// setjmp in write_png_rows.
[[noreturn]] inline void on_png_error(png_structp png, png_const_charp message) {
    auto* messages = static_cast<PngMessages*>(png_get_error_ptr(png));
    std::snprintf(messages->error, sizeof messages->error, "%s", message);
    png_longjmp(png, 1);
}

// Kept rather than printed: a library has no business writing to stderr.
inline void on_png_warning(png_structp png, png_const_charp message) {
    auto* messages = static_cast<PngMessages*>(png_get_error_ptr(png));
    std::snprintf(messages->warning, sizeof messages->warning, "%s", message);
}

// Kept apart from write_png, with only trivially destructible locals, so that
// the longjmp of a libpng error skips no destructor.
inline bool write_png_rows(std::FILE* file, png_uint_32 width, png_uint_32 height, png_bytepp rows,
                           PngMessages& messages) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &messages, on_png_error, on_png_warning);
    png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
    if (info == nullptr) {
        png_destroy_write_struct(&png, nullptr);
        std::snprintf(messages.error, sizeof messages.error, "%s", "out of memory");
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

[[nodiscard]] inline png_byte to_byte(float value) {
    return std::isnan(value) ? 0 : static_cast<png_byte>(std::lround(std::clamp(value, 0.0f, 1.0f) * 255.0f));
}

}  // namespace detail

// Pixels are clamped to [0, 1] and rounded to 8 bits; NaN is written as 0.
inline void write_png(const std::filesystem::path& path, const GrayImage& image) {
    if (image.width == 0 || image.height == 0 || image.width > PNG_UINT_31_MAX ||
        image.height > PNG_UINT_31_MAX || image.pixels.size() != image.width * image.height) {
        throw UsageError(fmt::format("write_png({}): cannot write an image of {}x{} with {} pixels", path.string(),
                                     image.width, image.height, image.pixels.size()));
    }
    std::vector<png_byte> bytes(image.pixels.size());
    std::transform(image.pixels.begin(), image.pixels.end(), bytes.begin(), detail::to_byte);
    std::vector<png_bytep> rows(image.height);
    for (std::size_t row = 0; row < image.height; ++row) {
        rows[row] = bytes.data() + row * image.width;
    }
    AtomicFile file(path);
    detail::PngMessages messages;
    if (!detail::write_png_rows(file.get(), static_cast<png_uint_32>(image.width),
                                static_cast<png_uint_32>(image.height), rows.data(), messages)) {
        throw DataError(fmt::format("{}: cannot write PNG: {}{}{}", path.string(), messages.error,
                                    *messages.warning != '\0' ? ", after the warning: " : "", messages.warning));
    }
    file.commit();
}

}  // namespace typenet::io
