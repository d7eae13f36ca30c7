#pragma once
// The notebook's figures of a training run, drawn by common/plot.hpp:
// loss.svg from the history, and rows of titled 28x28 images, scaled up so a
// person can see them.
#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>

#include "common/plot.hpp"
#include "typenet/fit.hpp"

namespace samples {

// The training and validation loss of every epoch, the picture a Keras user
// draws from history.history after fit.
inline void write_loss_plot(const std::filesystem::path& file, const typenet::History& history,
                            const std::string& title) {
    plot::LinePlot figure{.title = title, .y_label = "loss"};
    plot::Series loss{.name = "loss"}, val_loss{.name = "val_loss"};
    for (const auto& record : history) {
        figure.x.push_back(static_cast<double>(record.epoch));
        loss.values.push_back(record.loss);
        val_loss.values.push_back(record.val_loss);
    }
    figure.series = {std::move(loss), std::move(val_loss)};
    plot::write_line_plot(file, figure);
}

// 28x28 images under one name: the notebook titles each image with it.
struct ImageRow {
    std::string name;
    std::span<const float> images;
};

// Each row of the figure: the first 10 images of a row, or as many as the
// shortest row holds.
inline void write_image_rows(const std::filesystem::path& file, const std::string& title,
                             std::initializer_list<ImageRow> rows) {
    constexpr std::size_t side = 28;
    std::size_t count = 10;
    for (const auto& row : rows) count = std::min(count, row.images.size() / (side * side));
    plot::ImageGrid grid{.title = title, .columns = count};
    for (const auto& row : rows)
        for (std::size_t i = 0; i < count; ++i)
            grid.images.push_back({.pixels = row.images.subspan(i * side * side, side * side), .title = {row.name}});
    plot::write_image_grid(file, grid);
}

}  // namespace samples
