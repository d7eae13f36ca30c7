#pragma once
// The notebook's figures: rows of 28x28 images, scaled up so a person can see them.
#include <cstddef>
#include <initializer_list>
#include <span>

#include "typenet/io/png.hpp"

namespace samples {

// Each span holds at least `count` images of 28x28; each becomes one row of the figure.
inline typenet::io::GrayImage image_rows(std::initializer_list<std::span<const float>> rows, std::size_t count = 10) {
    constexpr std::size_t side = 28, scale = 4, cell = side * scale, gap = 4;
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
