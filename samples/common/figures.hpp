#pragma once
// The notebook's figures of a training run, drawn by common/plot.hpp:
// loss.svg (and accuracy.svg) from the history, and rows of titled 28x28
// images, scaled up so a person can see them.
#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>

#include "common/plot.hpp"
#include "typenet/fit.hpp"

namespace samples {

// A measure that fit records per epoch on the training and the validation
// data, under Keras's names: "loss" and "val_loss", "accuracy" and "val_accuracy".
struct HistoryMeasure {
    std::string name;
    double typenet::EpochRecord::*training;
    double typenet::EpochRecord::*validation;
};

inline const HistoryMeasure loss_measure{"loss", &typenet::EpochRecord::loss, &typenet::EpochRecord::val_loss};
inline const HistoryMeasure accuracy_measure{"accuracy", &typenet::EpochRecord::accuracy,
                                             &typenet::EpochRecord::val_accuracy};

// One measure of every epoch, on the training and the validation data: the
// picture a Keras user draws from history.history after fit.
inline void write_history_plot(const std::filesystem::path& file, const typenet::History& history,
                               const HistoryMeasure& measure, const std::string& title) {
    plot::LinePlot figure{.title = title, .y_label = measure.name};
    plot::Series training{.name = measure.name}, validation{.name = "val_" + measure.name};
    for (const auto& record : history) {
        figure.x.push_back(static_cast<double>(record.epoch));
        training.values.push_back(record.*measure.training);
        validation.values.push_back(record.*measure.validation);
    }
    figure.series = {std::move(training), std::move(validation)};
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
