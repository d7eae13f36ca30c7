#pragma once
// The notebook's figures: rows of 28x28 images, scaled up so a person can see them.
#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <span>

#include "typenet/io/png.hpp"

namespace samples {

// Each span of 28x28 images becomes one row of the figure: its first 10 images,
// or as many as the shortest row holds.
inline typenet::io::GrayImage image_rows(std::initializer_list<std::span<const float>> rows) {
    constexpr std::size_t side = 28, scale = 4, cell = side * scale, gap = 4;
    std::size_t count = 10;
    for (const auto images : rows) count = std::min(count, images.size() / (side * side));
    auto canvas = typenet::io::make_canvas(count * (cell + gap) + gap, rows.size() * (cell + gap) + gap, 1.0f);
    std::size_t y = gap;
    for (const auto images : rows) {
        for (std::size_t i = 0; i < count; ++i)
            typenet::io::paste(canvas, images.subspan(i * side * side, side * side), side, side, gap + i * (cell + gap),
                               y, scale);
        y += cell + gap;
    }
    return canvas;
}

}  // namespace samples
