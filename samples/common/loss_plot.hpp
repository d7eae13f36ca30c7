#pragma once
// loss.svg: the training and validation loss of every epoch, the picture a
// Keras user draws from history.history after fit.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "typenet/fit.hpp"
#include "typenet/io/atomic_file.hpp"

namespace samples {

inline std::string loss_svg(const typenet::History& history, const std::string& title) {
    constexpr double width = 640, height = 400, left = 70, right = 20, top = 40, bottom = 50;
    double low = INFINITY, high = -INFINITY;
    for (const auto& r : history)
        for (const double v : {r.loss, r.val_loss})
            if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
    if (!(low < high)) low = std::isfinite(low) ? low * 0.9 : 0.0, high = std::isfinite(high) ? high * 1.1 + 1e-9 : 1.0;
    const double first = history.empty() ? 1.0 : double(history.front().epoch);
    const double last = history.empty() ? 2.0 : std::max(double(history.back().epoch), first + 1.0);
    auto x = [&](double epoch) { return left + (epoch - first) / (last - first) * (width - left - right); };
    auto y = [&](double loss) { return top + (high - loss) / (high - low) * (height - top - bottom); };
    auto line = [&](double typenet::EpochRecord::*field) {
        std::string points;
        for (const auto& r : history)
            if (std::isfinite(r.*field)) points += fmt::format("{:.1f},{:.1f} ", x(double(r.epoch)), y(r.*field));
        return points;
    };
    std::string svg = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" font-family=\"sans-serif\" "
        "font-size=\"12\">\n<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
        "<text x=\"{2}\" y=\"24\" font-size=\"15\">{3}</text>\n"
        "<line x1=\"{4}\" y1=\"{5}\" x2=\"{4}\" y2=\"{6}\" stroke=\"black\"/>\n"
        "<line x1=\"{4}\" y1=\"{6}\" x2=\"{7}\" y2=\"{6}\" stroke=\"black\"/>\n",
        width, height, left, title, left, top, height - bottom, width - right);
    for (int i = 0; i <= 4; ++i) {
        const double v = low + (high - low) * i / 4;
        svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.5f}</text>\n", left - 6, y(v) + 4, v);
    }
    for (const auto& r : history)
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.0f}\" text-anchor=\"middle\">{}</text>\n", x(double(r.epoch)),
                           height - bottom + 18, r.epoch);
    svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">epoch</text>\n", (left + width - right) / 2,
                       height - 10);
    svg += fmt::format("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{}\"/>\n",
                       line(&typenet::EpochRecord::loss));
    svg += fmt::format("<polyline fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" points=\"{}\"/>\n",
                       line(&typenet::EpochRecord::val_loss));
    svg += fmt::format("<text x=\"{0:.0f}\" y=\"{1:.0f}\" fill=\"#1f77b4\">loss</text>\n"
                       "<text x=\"{0:.0f}\" y=\"{2:.0f}\" fill=\"#ff7f0e\">val_loss</text>\n</svg>\n",
                       width - right - 70, top + 12, top + 28);
    return svg;
}

inline void write_loss_svg(const std::filesystem::path& file, const typenet::History& history, const std::string& title) {
    typenet::io::write_text_file_atomically(file, loss_svg(history, title));
}

}  // namespace samples
