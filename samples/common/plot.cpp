#include "common/plot.hpp"

#include <plplot/plplot.h>
#include <stdio.h>   // open_memstream
#include <stdlib.h>  // free

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <numbers>
#include <string_view>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/io/atomic_file.hpp"

// fontconfig, under pango and cairo, keeps its font data to the end of the
// process behind pointers stored as offsets, which LeakSanitizer cannot
// follow: it would call them leaks and fail every sanitized program that
// draws a figure. This hook tells it which (the programs' own leaks are still
// found), and not to list them on stderr, which the samples' tests read.
#if defined(__SANITIZE_ADDRESS__)
#define TYPENET_PLOT_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TYPENET_PLOT_LEAK_CHECK 1
#endif
#endif
#ifdef TYPENET_PLOT_LEAK_CHECK
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }
#endif

namespace samples::plot {
namespace {

namespace fs = std::filesystem;
using typenet::DataError;
using typenet::UsageError;

// Colour map 0: the page, the ink, the grid, the red of a wrong prediction,
// and then matplotlib's default colour cycle ("tab10") for the series.
enum Colour : PLINT { page_white, ink, grid_grey, frame_grey, wrong_red, first_series };
constexpr std::array<std::array<int, 3>, 10> tab10{{{31, 119, 180},
                                                     {255, 127, 14},
                                                     {44, 160, 44},
                                                     {214, 39, 40},
                                                     {148, 103, 189},
                                                     {140, 86, 75},
                                                     {227, 119, 194},
                                                     {127, 127, 127},
                                                     {188, 189, 34},
                                                     {23, 190, 207}}};

PLINT series_colour(std::size_t i) { return first_series + static_cast<PLINT>(i % tab10.size()); }

// A rough width of text this many pixels high (DejaVu Sans averages some 0.6
// of its height a character), to leave room for names.
double text_width(std::string_view text, double pixels) {
    std::size_t characters = 0;
    for (const char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // UTF-8 lead bytes
    return 0.62 * pixels * static_cast<double>(characters);
}

// The heights of text, in pixels (points in SVG).
constexpr double title_size = 15, label_size = 13, tick_size = 11, legend_size = 11;

// PLplot's one lock and the first message its plabort gave while it was held.
std::mutex plplot_mutex;
std::string plplot_complaint;

void keep_complaint(PLCHAR_VECTOR message) {
    if (plplot_complaint.empty()) plplot_complaint = message;
}

// PLplot reads '#' as the start of an escape sequence (#u for superscript...).
std::string as_text(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        escaped += c;
        if (c == '#') escaped += '#';
    }
    return escaped;
}

// cairo's SVG surface names its group after a counter of every surface the
// process has made, so the same figure drawn twice would differ in that id:
// the ids are numbered again in the order they appear.
std::string with_surface_ids_renumbered(std::string_view svg) {
    constexpr std::string_view prefix = "surface";
    std::vector<std::string_view> seen;
    std::string result;
    for (std::size_t at = 0;;) {
        const std::size_t found = svg.find(prefix, at);
        if (found == std::string_view::npos) return result.append(svg.substr(at));
        const std::size_t digits = found + prefix.size();
        std::size_t end = digits;
        while (end < svg.size() && svg[end] >= '0' && svg[end] <= '9') ++end;
        result.append(svg.substr(at, digits - at));
        if (end > digits) {
            const std::string_view number = svg.substr(digits, end - digits);
            auto index = std::find(seen.begin(), seen.end(), number);
            if (index == seen.end()) index = seen.insert(seen.end(), number);
            result += std::to_string(index - seen.begin() + 1);
        }
        at = end;
    }
}

enum class Format { png, svg };

Format format_of(const fs::path& file) {
    if (file.extension() == ".png") return Format::png;
    if (file.extension() == ".svg") return Format::svg;
    throw UsageError(fmt::format("{}: a figure is written as .png or .svg, not as {}", file.string(),
                                 file.extension().empty() ? "a name without an extension" : file.extension().string()));
}

// PLplot asks on the terminal for another device when the one set is not
// there: a missing driver package must be an error instead.
void require_device(const fs::path& file, const char* device) {
    constexpr int most = 128;
    std::array<PLCHAR_VECTOR, most> menus{}, names{};
    int count = most;
    PLCHAR_VECTOR* menu_list = menus.data();
    PLCHAR_VECTOR* name_list = names.data();
    plgDevs(&menu_list, &name_list, &count);
    for (int i = 0; i < count; ++i)
        if (std::string_view(names[static_cast<std::size_t>(i)]) == device) return;
    throw DataError(fmt::format("{}: PLplot has no {} device here; install its cairo driver (Debian's "
                                "plplot-driver-cairo)",
                                file.string(), device));
}

// One figure: a PLplot page drawn into memory, then written over the file at
// once. Coordinates given in pixels count from the page's top-left corner.
class Page {
public:
    Page(fs::path file, double width, double height)
        : lock_(plplot_mutex), file_(std::move(file)), format_(format_of(file_)), width_(width), height_(height) {
        const char* device = format_ == Format::png ? "pngcairo" : "svgcairo";
        require_device(file_, device);
        memory_ = open_memstream(&buffer_, &size_);
        if (memory_ == nullptr) throw DataError(fmt::format("{}: cannot open a stream in memory to draw in", file_.string()));
        plplot_complaint.clear();
        plsabort(keep_complaint);
        plsdev(device);
        plsfile(memory_);  // plend1 closes it
        plspage(0, 0, static_cast<PLINT>(width), static_cast<PLINT>(height), 0, 0);
        plscmap0n(first_series + static_cast<PLINT>(tab10.size()));
        plscol0(page_white, 255, 255, 255);
        plscol0(ink, 0, 0, 0);
        plscol0(grid_grey, 230, 230, 230);
        plscol0(frame_grey, 190, 190, 190);
        plscol0(wrong_red, 214, 39, 40);
        for (std::size_t i = 0; i < tab10.size(); ++i)
            plscol0(series_colour(i), tab10[i][0], tab10[i][1], tab10[i][2]);
        // Names beside a plot area (the confusion matrix's) are drawn outside its window.
        plsetopt("drvopt", "text_clipping=0");
        // Tick labels as plain numbers (0.012), never with a separate "x10^-2".
        plsxax(8, 0);
        plsyax(8, 0);
        plinit();
        pladv(0);
        plfont(1);
        plcol0(ink);
        font(tick_size);
    }

    Page(const Page&) = delete;
    Page& operator=(const Page&) = delete;

    ~Page() {
        if (memory_ != nullptr) plend1();
        free(buffer_);
        plsabort(nullptr);
    }

    // The plot area, given by its margins from the page's edges.
    void viewport(double left, double right, double top, double bottom) {
        area_ = {left, right, top, bottom};
        plvpor(left / width_, 1.0 - right / width_, bottom / height_, 1.0 - top / height_);
    }

    // The plot area of a figure with axes: room for the title above, for the
    // tick labels and the axis labels left and below, and `right` pixels
    // right of it (a legend's, when it stands beside the plot).
    void axes_area(double right = 20) { viewport(86, right, 40, 56); }
    [[nodiscard]] double area_width() const { return width_ - area_.left - area_.right; }
    [[nodiscard]] double area_height() const { return height_ - area_.top - area_.bottom; }

    // The whole page as the window, in pixels from the top-left corner (y grows downwards).
    void page_window() const {
        plvpor(0.0, 1.0, 0.0, 1.0);
        plwind(0.0, width_, 0.0, height_);
    }
    [[nodiscard]] double y(double from_top) const { return height_ - from_top; }

    // Text this many pixels high (PLplot sizes characters in millimetres at 72 dots an inch).
    static void font(double pixels) { plschr(pixels * 25.4 / 72.0, 1.0); }

    // Text in the page window, its middle height at (x, from_top), justified
    // there (0 left, 0.5 centre, 1 right), turned anticlockwise by `degrees`.
    void text(double x, double from_top, std::string_view text, double justification = 0.5,
              double degrees = 0.0) const {
        const double angle = degrees * std::numbers::pi / 180.0;
        plptex(x, y(from_top), std::cos(angle), std::sin(angle), justification, as_text(text).c_str());
    }

    // The title centred above the plot area, the axis labels at the page's
    // bottom and left edges. Leaves the page as the window.
    void labels(std::string_view title, std::string_view x_label, std::string_view y_label) const {
        const double middle_x = (area_.left + width_ - area_.right) / 2;
        const double middle_y = (area_.top + height_ - area_.bottom) / 2;
        page_window();
        plcol0(ink);
        font(title_size);
        text(middle_x, area_.top / 2, title);
        font(label_size);
        text(middle_x, height_ - 14, x_label);
        text(16, middle_y, y_label, 0.5, 90.0);
    }

    // matplotlib's look: a light grid under the data, a frame, ticks out on the left and below.
    static void grid(double x_step) {
        plcol0(grid_grey);
        plwidth(1.0);
        plbox("g", x_step, 0, "g", 0.0, 0);
    }
    static void axes(double x_step) {
        plcol0(ink);
        plwidth(1.0);
        font(tick_size);
        plbox("bc", 0, 0, "bc", 0, 0);
        plbox("bnti", x_step, 0, "bntiv", 0.0, 0);
    }

    // Draws the figure into memory, then writes it over the file.
    void write() {
        plend1();  // draws the page and closes memory_
        memory_ = nullptr;
        if (!plplot_complaint.empty())
            throw DataError(fmt::format("{}: PLplot could not draw the figure: {}", file_.string(), plplot_complaint));
        std::string bytes(buffer_, size_);
        if (bytes.empty()) throw DataError(fmt::format("{}: PLplot drew nothing", file_.string()));
        if (format_ == Format::svg) bytes = with_surface_ids_renumbered(bytes);
        typenet::io::write_text_file_atomically(file_, bytes);
    }

private:
    std::unique_lock<std::mutex> lock_;
    fs::path file_;
    Format format_;
    double width_, height_;
    struct {
        double left = 0, right = 0, top = 0, bottom = 0;
    } area_;
    std::FILE* memory_ = nullptr;
    char* buffer_ = nullptr;
    std::size_t size_ = 0;
};

void require(bool condition, const fs::path& file, std::string_view what) {
    if (!condition) throw UsageError(fmt::format("{}: {}", file.string(), what));
}

void require_page(const fs::path& file, std::size_t width, std::size_t height) {
    require(width >= 100 && height >= 100 && width <= 16384 && height <= 16384, file,
            fmt::format("a page of {}x{} pixels; a figure takes 100 to 16384 a side", width, height));
}

struct Range {
    double low = 0.0, high = 1.0;
};

// The range of the finite values, widened by matplotlib's 5% margins; a
// single value (or none) still makes an axis.
Range padded_range(std::span<const double> values) {
    double low = INFINITY, high = -INFINITY;
    for (const double v : values)
        if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
    if (!std::isfinite(low)) return {0.0, 1.0};
    if (low == high) {
        const double half = low == 0.0 ? 0.5 : std::abs(low) * 0.1;
        return {low - half, high + half};
    }
    const double pad = 0.05 * (high - low);
    return {low - pad, high + pad};
}

// A tick step of 1, 2 or 5 times a power of ten, and at least 1, for an axis of whole numbers.
double whole_number_step(double span) {
    const double rough = std::max(1.0, span / 8.0);
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    for (const double factor : {1.0, 2.0, 5.0})
        if (factor * power >= rough) return factor * power;
    return 10.0 * power;
}

// What a plot drew at one x, from y = low to high (a point of a line, a
// bar, a marker), in the window's coordinates: the legend avoids it.
struct Drawn {
    double x = 0, low = 0, high = 0;
};

// The legend's entries: each a line, a dashed line, a box of colour or a dot.
struct LegendEntry {
    std::string text;
    PLINT colour = ink;
    enum Kind { line, dashed_line, box, dot } kind = line;
};

// The legend's box in pixels, by a rough measure of its names.
double legend_width(const std::vector<LegendEntry>& entries) {
    double longest = 0.0;
    for (const auto& entry : entries) longest = std::max(longest, text_width(entry.text, legend_size));
    return longest + 60;
}
double legend_height(const std::vector<LegendEntry>& entries) {
    return static_cast<double>(entries.size()) * 1.6 * legend_size + 12;
}

// The legend at pllegend's `position`, offset from there by fractions of the plot area.
void draw_legend(const std::vector<LegendEntry>& entries, PLINT position, double x_offset, double y_offset) {
    const auto count = static_cast<PLINT>(entries.size());
    std::vector<PLINT> options, colours, styles, patterns, symbol_numbers;
    std::vector<PLFLT> widths, scales;
    std::vector<std::string> texts;
    std::vector<PLCHAR_VECTOR> text_pointers, symbols;
    for (const auto& entry : entries) {
        options.push_back(entry.kind == LegendEntry::box   ? PL_LEGEND_COLOR_BOX
                          : entry.kind == LegendEntry::dot ? PL_LEGEND_SYMBOL
                                                           : PL_LEGEND_LINE);
        colours.push_back(entry.colour);
        styles.push_back(entry.kind == LegendEntry::dashed_line ? 2 : 1);
        patterns.push_back(0);
        widths.push_back(2.0);
        scales.push_back(0.8);
        symbol_numbers.push_back(entry.kind == LegendEntry::dot ? 1 : 0);
        symbols.push_back(entry.kind == LegendEntry::dot ? "●" : "");
        texts.push_back(as_text(entry.text));
    }
    for (const auto& text : texts) text_pointers.push_back(text.c_str());
    std::vector<PLINT> text_colours(entries.size(), ink);
    std::vector<PLFLT> symbol_scales(entries.size(), 1.0);
    PLFLT drawn_width = 0, drawn_height = 0;
    Page::font(legend_size);
    plwidth(1.0);
    pllegend(&drawn_width, &drawn_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position, x_offset,
             y_offset, 0.08, page_white, frame_grey, 1, 0, 0, count, options.data(), 0.8, 1.0, 1.6, 0.0,
             text_colours.data(), text_pointers.data(), colours.data(), patterns.data(), scales.data(),
             widths.data(), colours.data(), styles.data(), widths.data(), colours.data(), symbol_scales.data(),
             symbol_numbers.data(), symbols.data());
}

// The legend in a corner of the plot area, as matplotlib's loc="best" puts
// it: the corner whose box covers the least of what was drawn, the upper
// right first when several are as good.
void legend(const Page& page, const std::vector<LegendEntry>& entries, const std::vector<Drawn>& drawn, Range x,
            Range y) {
    if (entries.empty()) return;
    constexpr double margin_x = 0.02, margin_y = 0.03;
    const double box_width = legend_width(entries) / page.area_width();
    const double box_height = legend_height(entries) / page.area_height();
    PLINT best_corner = 0;
    std::size_t least = SIZE_MAX;
    for (const PLINT corner : {PL_POSITION_TOP | PL_POSITION_RIGHT, PL_POSITION_TOP | PL_POSITION_LEFT,
                               PL_POSITION_BOTTOM | PL_POSITION_LEFT, PL_POSITION_BOTTOM | PL_POSITION_RIGHT}) {
        const double left = corner & PL_POSITION_LEFT ? margin_x : 1 - margin_x - box_width;
        const double bottom = corner & PL_POSITION_BOTTOM ? margin_y : 1 - margin_y - box_height;
        std::size_t covered = 0;
        for (const auto& d : drawn) {
            const double at = (d.x - x.low) / (x.high - x.low);
            const double low = (d.low - y.low) / (y.high - y.low), high = (d.high - y.low) / (y.high - y.low);
            covered += at >= left && at <= left + box_width && high >= bottom && low <= bottom + box_height;
        }
        if (covered < least) least = covered, best_corner = corner;
    }
    draw_legend(entries, best_corner | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT, margin_x, margin_y);
}

// A filled rectangle in world coordinates.
void rectangle(double x0, double y0, double x1, double y1) {
    const std::array<PLFLT, 4> xs{x0, x1, x1, x0}, ys{y0, y0, y1, y1};
    plfill(4, xs.data(), ys.data());
}

// The value below which a share `fraction` of the values lies (nearest rank).
double quantile(std::vector<double> values, double fraction) {
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank), values.end());
    return values[rank];
}

}  // namespace

void write_line_plot(const fs::path& file, const LinePlot& plot, std::size_t width, std::size_t height) {
    require_page(file, width, height);
    require(!plot.x.empty(), file, "a line plot needs at least one x");
    require(std::all_of(plot.x.begin(), plot.x.end(), [](double x) { return std::isfinite(x); }), file,
            "every x of a line plot must be finite");
    for (const auto& series : plot.series)
        require(series.values.size() == plot.x.size(), file,
                fmt::format("series {} has {} values for {} x", series.name, series.values.size(), plot.x.size()));

    const Range x_range = padded_range(plot.x);
    std::vector<double> all_values;
    for (const auto& series : plot.series) all_values.insert(all_values.end(), series.values.begin(), series.values.end());
    const Range y_range = padded_range(all_values);
    const bool whole_x = std::all_of(plot.x.begin(), plot.x.end(), [](double x) { return x == std::round(x); });
    const double x_step = whole_x ? whole_number_step(x_range.high - x_range.low) : 0.0;

    Page page(file, static_cast<double>(width), static_cast<double>(height));
    page.axes_area();
    plwind(x_range.low, x_range.high, y_range.low, y_range.high);
    Page::grid(x_step);
    std::vector<LegendEntry> entries;
    std::vector<Drawn> drawn;
    for (std::size_t s = 0; s < plot.series.size(); ++s) {
        const auto& values = plot.series[s].values;
        plcol0(series_colour(s));
        plwidth(2.0);
        // Lines through each run of finite values; a value alone gets a dot.
        const bool has_values = std::any_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
        for (std::size_t start = 0; start < values.size();) {
            if (!std::isfinite(values[start])) {
                ++start;
                continue;
            }
            std::size_t end = start;
            while (end < values.size() && std::isfinite(values[end])) ++end;
            const auto count = static_cast<PLINT>(end - start);
            if (count == 1) {
                Page::font(8);
                plstring(1, &plot.x[start], &values[start], "●");
            } else {
                plline(count, &plot.x[start], &values[start]);
            }
            // What the legend must avoid: the points, and 15 more along each segment.
            for (std::size_t i = start; i < end; ++i) {
                drawn.push_back({plot.x[i], values[i], values[i]});
                for (int step = 1; step < 16 && i + 1 < end; ++step) {
                    const double value = std::lerp(values[i], values[i + 1], step / 16.0);
                    drawn.push_back({std::lerp(plot.x[i], plot.x[i + 1], step / 16.0), value, value});
                }
            }
            start = end;
        }
        if (has_values) entries.push_back({plot.series[s].name, series_colour(s)});
    }
    Page::axes(x_step);
    legend(page, entries, drawn, x_range, y_range);
    page.labels(plot.title, plot.x_label, plot.y_label);
    page.write();
}

void write_histograms(const fs::path& file, const HistogramPlot& plot, std::size_t width, std::size_t height) {
    require_page(file, width, height);
    require(plot.bins >= 1 && plot.bins <= 10000, file, fmt::format("{} bins; a histogram takes 1 to 10000", plot.bins));
    std::vector<double> all;
    for (const auto& histogram : plot.histograms) {
        require(!histogram.values.empty(), file, fmt::format("histogram {} has no values", histogram.name));
        for (const double v : histogram.values) {
            require(std::isfinite(v), file, fmt::format("histogram {} holds {}", histogram.name, v));
            all.push_back(v);
        }
    }
    require(!all.empty(), file, "a histogram plot needs at least one histogram");
    for (const auto& marker : plot.markers)
        require(std::isfinite(marker.x), file, fmt::format("marker {} is at {}", marker.name, marker.x));

    double low = quantile(all, 0.005), high = quantile(all, 0.995);
    for (const auto& marker : plot.markers) low = std::min(low, marker.x), high = std::max(high, marker.x);
    // Never an empty axis, so that equal values still make one bin of some width.
    const double pad = 0.05 * (high - low) + 1e-9 * std::max(1.0, std::abs(high));
    const double axis_start = low >= 0.0 ? std::max(0.0, low - pad) : low - pad, axis_end = high + pad;
    const double bin_width = (axis_end - axis_start) / static_cast<double>(plot.bins);

    std::vector<std::vector<double>> shares;
    double tallest = 0.0;
    for (const auto& histogram : plot.histograms) {
        std::vector<double> share(plot.bins, 0.0);
        for (const double v : histogram.values) {
            const double position = std::floor((v - axis_start) / bin_width);
            share[static_cast<std::size_t>(std::clamp(position, 0.0, static_cast<double>(plot.bins - 1)))] += 1.0;
        }
        for (double& s : share) s *= 100.0 / static_cast<double>(histogram.values.size());
        tallest = std::max(tallest, *std::max_element(share.begin(), share.end()));
        shares.push_back(std::move(share));
    }

    Page page(file, static_cast<double>(width), static_cast<double>(height));
    page.axes_area();
    plwind(axis_start, axis_end, 0.0, tallest * 1.08);
    Page::grid(0.0);
    std::vector<LegendEntry> entries;
    std::vector<Drawn> drawn;
    for (std::size_t h = 0; h < shares.size(); ++h) {
        // Half transparent, as matplotlib's alpha=0.5, so that overlapping bars both show.
        const auto& c = tab10[h % tab10.size()];
        plscol0a(series_colour(h), c[0], c[1], c[2], 0.5);
        plcol0(series_colour(h));
        for (std::size_t b = 0; b < plot.bins; ++b)
            if (shares[h][b] > 0.0) {
                const double bin_start = axis_start + static_cast<double>(b) * bin_width;
                rectangle(bin_start, 0.0, bin_start + bin_width, shares[h][b]);
                for (const double at : {bin_start, bin_start + bin_width / 2, bin_start + bin_width})
                    drawn.push_back({at, 0.0, shares[h][b]});
            }
        entries.push_back({plot.histograms[h].name, series_colour(h), LegendEntry::box});
    }
    for (const auto& marker : plot.markers) {
        plcol0(ink);
        plwidth(1.5);
        pllsty(2);
        pljoin(marker.x, 0.0, marker.x, tallest * 1.08);
        pllsty(1);
        drawn.push_back({marker.x, 0.0, tallest * 1.08});
        entries.push_back({marker.name, ink, LegendEntry::dashed_line});
    }
    Page::axes(0.0);
    legend(page, entries, drawn, {axis_start, axis_end}, {0.0, tallest * 1.08});
    page.labels(plot.title, plot.x_label, plot.y_label);
    page.write();
}

void write_scatter_plot(const fs::path& file, const ScatterPlot& plot, std::size_t width, std::size_t height) {
    require_page(file, width, height);
    const std::size_t points = plot.x.size();
    require(plot.y.size() == points && plot.group.size() == points, file,
            fmt::format("{} x, {} y and {} groups; a scatter plot needs one of each for every point", plot.x.size(),
                        plot.y.size(), plot.group.size()));
    require(points >= 1, file, "a scatter plot needs at least one point");
    require(!plot.group_names.empty() && plot.group_names.size() <= tab10.size(), file,
            fmt::format("{} group names; a scatter plot tells 1 to {} groups apart by colour", plot.group_names.size(),
                        tab10.size()));
    for (std::size_t i = 0; i < points; ++i) {
        require(std::isfinite(plot.x[i]) && std::isfinite(plot.y[i]), file,
                fmt::format("point {} is at ({}, {})", i, plot.x[i], plot.y[i]));
        require(plot.group[i] < plot.group_names.size(), file,
                fmt::format("point {} is in group {}, beyond the {} group names", i, plot.group[i],
                            plot.group_names.size()));
    }

    std::vector<LegendEntry> entries;
    for (std::size_t g = 0; g < plot.group_names.size(); ++g)
        entries.push_back({plot.group_names[g], series_colour(g), LegendEntry::dot});
    // The legend beside the plot area, never over 10,000 points.
    constexpr double legend_gap = 12, dot_radius = 2.0;
    const Range x_range = padded_range(plot.x), y_range = padded_range(plot.y);

    Page page(file, static_cast<double>(width), static_cast<double>(height));
    page.axes_area(legend_gap + legend_width(entries) + 20);
    require(page.area_width() >= 100 && page.area_height() >= std::max(100.0, legend_height(entries)), file,
            fmt::format("a page of {}x{} is too small for a scatter plot with a legend of these names", width,
                        height));
    plwind(x_range.low, x_range.high, y_range.low, y_range.high);
    Page::grid(0.0);
    // A dot's radius in the window's units, which differ along x and y.
    const double radius_x = dot_radius * (x_range.high - x_range.low) / page.area_width();
    const double radius_y = dot_radius * (y_range.high - y_range.low) / page.area_height();
    for (std::size_t i = 0; i < points; ++i) {
        plcol0(series_colour(plot.group[i]));
        plarc(plot.x[i], plot.y[i], radius_x, radius_y, 0.0, 360.0, 0.0, true);
    }
    Page::axes(0.0);
    // pllegend centres a legend beside the plot area; this raises it to the top.
    const double raise = (page.area_height() - legend_height(entries)) / 2 / page.area_height();
    draw_legend(entries, PL_POSITION_OUTSIDE | PL_POSITION_RIGHT | PL_POSITION_VIEWPORT, legend_gap / page.area_width(),
                raise);
    page.labels(plot.title, plot.x_label, plot.y_label);
    page.write();
}

namespace {

// The image grid's layout, in pixels: a band for the title, then rows of
// columns, each image under its title lines. A column is as wide as its
// image or, when the titles need more, as they do.
constexpr std::size_t grid_gap = 4, grid_title_band = 30, grid_line_height = 14, grid_title_gap = 4;
constexpr double grid_title_size = 15, grid_line_size = 11;

struct PageSize {
    std::size_t width = 0, height = 0;
};

struct GridLayout {
    std::size_t cell_width = 0, cell_height = 0;  // an image, scaled
    std::size_t column_width = 0, title_height = 0, row_height = 0, top = 0;
    PageSize page;
};

GridLayout layout_of(const ImageGrid& grid) {
    GridLayout layout;
    const auto& first = grid.images.front();
    layout.cell_width = first.width * grid.scale;
    layout.cell_height = first.height * grid.scale;
    std::size_t lines = 0;
    double widest = 0.0;
    for (const auto& image : grid.images) {
        lines = std::max(lines, image.title.size());
        for (const auto& line : image.title) widest = std::max(widest, text_width(line, grid_line_size));
    }
    layout.column_width = std::max(layout.cell_width, static_cast<std::size_t>(std::ceil(widest)) + 6);
    layout.title_height = lines == 0 ? 0 : lines * grid_line_height + grid_title_gap;
    layout.row_height = layout.title_height + layout.cell_height + grid_gap;
    layout.top = (grid.title.empty() ? 0 : grid_title_band) + grid_gap;
    const std::size_t columns = std::min(grid.columns, grid.images.size());
    const std::size_t rows = (grid.images.size() + grid.columns - 1) / grid.columns;
    layout.page = {columns * (layout.column_width + grid_gap) + grid_gap, layout.top + rows * layout.row_height};
    return layout;
}

void require_grid(const fs::path& file, const ImageGrid& grid) {
    require(!grid.images.empty(), file, "an image grid needs at least one image");
    require(grid.columns >= 1, file, "an image grid needs at least one column");
    require(grid.scale >= 1 && grid.scale <= 64, file, fmt::format("scale {}; an image grid takes 1 to 64", grid.scale));
    const auto& first = grid.images.front();
    for (std::size_t i = 0; i < grid.images.size(); ++i) {
        const auto& image = grid.images[i];
        require(image.width == first.width && image.height == first.height, file,
                fmt::format("image {} is {}x{}, the first {}x{}: a grid's images share one size", i, image.width,
                            image.height, first.width, first.height));
        require(image.width >= 2 && image.height >= 2, file,
                fmt::format("image {} is {}x{}; a grid's images are at least 2x2", i, image.width, image.height));
        require(image.pixels.size() == image.width * image.height, file,
                fmt::format("image {} of {}x{} has {} pixels", i, image.width, image.height, image.pixels.size()));
    }
    const PageSize page = layout_of(grid).page;
    require(page.width <= 16384 && page.height <= 16384, file,
            fmt::format("a grid of {}x{} pixels; a figure takes at most 16384 a side", page.width, page.height));
}

}  // namespace

void write_image_grid(const fs::path& file, const ImageGrid& grid) {
    require_grid(file, grid);
    const GridLayout layout = layout_of(grid);
    const std::size_t image_width = grid.images.front().width, image_height = grid.images.front().height;

    Page page(file, static_cast<double>(layout.page.width), static_cast<double>(layout.page.height));
    // Grey levels for plimagefr: colour map 1 from black to white.
    const std::array<PLFLT, 2> ends{0.0, 1.0};
    plscmap1n(256);
    plscmap1l(1, 2, ends.data(), ends.data(), ends.data(), ends.data(), nullptr);
    page.page_window();
    if (!grid.title.empty()) {
        plcol0(ink);
        Page::font(grid_title_size);
        page.text(static_cast<double>(layout.page.width) / 2, grid_title_band / 2.0 + 2, grid.title);
    }
    // plimagefr takes columns of pixels, each from the bottom up.
    std::vector<PLFLT> columns(image_width * image_height);
    std::vector<const PLFLT*> column_pointers(image_width);
    Page::font(grid_line_size);
    for (std::size_t i = 0; i < grid.images.size(); ++i) {
        const auto& image = grid.images[i];
        const double column_left = static_cast<double>(grid_gap + (i % grid.columns) * (layout.column_width + grid_gap));
        const double centre = column_left + static_cast<double>(layout.column_width) / 2;
        const double row_top = static_cast<double>(layout.top + (i / grid.columns) * layout.row_height);
        plcol0(image.marked ? wrong_red : ink);
        for (std::size_t line = 0; line < image.title.size(); ++line)
            page.text(centre, row_top + (static_cast<double>(line) + 0.5) * grid_line_height, image.title[line]);
        for (std::size_t x = 0; x < image_width; ++x) {
            for (std::size_t y = 0; y < image_height; ++y)
                columns[x * image_height + y] =
                    std::clamp(static_cast<double>(image.pixels[(image_height - 1 - y) * image_width + x]), 0.0, 1.0);
            column_pointers[x] = &columns[x * image_height];
        }
        // Whole pixels, so that each of the image's pixels is a square of
        // scale x scale. plimagefr makes its cells (max - min) / (count - 1)
        // wide and draws count of them: its limits stop one cell short of the
        // image's far edges. Grey levels are absolute (0 black, 1 white), as
        // pasted pixels are, not stretched to each image's own range.
        const double left = column_left + static_cast<double>((layout.column_width - layout.cell_width) / 2);
        const double bottom = page.y(row_top + static_cast<double>(layout.title_height + layout.cell_height));
        const double scale = static_cast<double>(grid.scale);
        plimagefr(column_pointers.data(), static_cast<PLINT>(image_width), static_cast<PLINT>(image_height), left,
                  left + scale * static_cast<double>(image_width - 1), bottom,
                  bottom + scale * static_cast<double>(image_height - 1), 0.0, 1.0, 0.0, 1.0, nullptr, nullptr);
    }
    page.write();
}

void write_confusion_matrix(const fs::path& file, const ConfusionMatrixPlot& plot, std::size_t width,
                            std::size_t height) {
    require_page(file, width, height);
    const std::size_t n = plot.class_names.size();
    require(n >= 1 && n <= 100, file, fmt::format("{} classes; a confusion matrix takes 1 to 100", n));
    require(plot.counts.size() == n * n, file,
            fmt::format("{} counts for {} classes; a confusion matrix needs {}", plot.counts.size(), n, n * n));
    const std::size_t most = std::max<std::size_t>(1, *std::max_element(plot.counts.begin(), plot.counts.end()));

    // A square of cells, class 0 at the top left, with room for the names
    // left and (slanted) below, and for the colour bar on the right.
    const double name_size = n <= 12 ? tick_size : 8;
    double longest = 0.0;
    for (const auto& name : plot.class_names) longest = std::max(longest, text_width(name, name_size));
    const double top = 46, left = longest + 48, bottom = longest * std::numbers::sqrt2 / 2 + 52, right = 110;
    const double side = std::min(static_cast<double>(width) - left - right, static_cast<double>(height) - top - bottom);
    require(side >= 20.0 * static_cast<double>(n) / 2, file,
            fmt::format("a page of {}x{} is too small for {} classes with these names", width, height, n));
    const double cell = side / static_cast<double>(n);

    Page page(file, static_cast<double>(width), static_cast<double>(height));
    // matplotlib's "Blues": white for none, dark blue for the most.
    constexpr std::array<std::array<int, 3>, 9> blues{{{247, 251, 255},
                                                       {222, 235, 247},
                                                       {198, 219, 239},
                                                       {158, 202, 225},
                                                       {107, 174, 214},
                                                       {66, 146, 198},
                                                       {33, 113, 181},
                                                       {8, 81, 156},
                                                       {8, 48, 107}}};
    std::array<PLFLT, blues.size()> positions{}, red{}, green{}, blue{};
    for (std::size_t i = 0; i < blues.size(); ++i) {
        positions[i] = static_cast<double>(i) / static_cast<double>(blues.size() - 1);
        red[i] = blues[i][0] / 255.0, green[i] = blues[i][1] / 255.0, blue[i] = blues[i][2] / 255.0;
    }
    plscmap1n(256);
    plscmap1l(1, static_cast<PLINT>(blues.size()), positions.data(), red.data(), green.data(), blue.data(), nullptr);

    page.page_window();
    const auto cell_x = [&](std::size_t column) { return left + (static_cast<double>(column) + 0.5) * cell; };
    const auto cell_y = [&](std::size_t row) { return top + (static_cast<double>(row) + 0.5) * cell; };
    Page::font(name_size);
    for (std::size_t row = 0; row < n; ++row)
        for (std::size_t column = 0; column < n; ++column) {
            const std::size_t count = plot.counts[row * n + column];
            const double shade = static_cast<double>(count) / static_cast<double>(most);
            plcol1(shade);
            const double x = cell_x(column), y = cell_y(row);
            rectangle(x - cell / 2, page.y(y + cell / 2), x + cell / 2, page.y(y - cell / 2));
            // As scikit-learn: light text on the darker half of the colours.
            plcol0(shade > 0.5 ? page_white : ink);
            page.text(x, y, std::to_string(count));
        }
    plcol0(ink);
    plwidth(1.0);
    const double matrix_bottom = top + side, tick = 5;
    const std::array<PLFLT, 5> frame_x{left, left + side, left + side, left, left};
    const std::array<PLFLT, 5> frame_y{page.y(top), page.y(top), page.y(matrix_bottom), page.y(matrix_bottom), page.y(top)};
    plline(5, frame_x.data(), frame_y.data());
    for (std::size_t i = 0; i < n; ++i) {
        pljoin(cell_x(i), page.y(matrix_bottom), cell_x(i), page.y(matrix_bottom + tick));
        pljoin(left, page.y(cell_y(i)), left - tick, page.y(cell_y(i)));
        page.text(left - tick - 4, cell_y(i), plot.class_names[i], 1.0);
        // The predicted classes' names slanted, ending under their column.
        page.text(cell_x(i) + 3, matrix_bottom + tick + 8, plot.class_names[i], 1.0, 45.0);
    }
    Page::font(title_size);
    page.text(left + side / 2, top / 2, plot.title);
    Page::font(label_size);
    page.text(left + side / 2, static_cast<double>(height) - 18, "predicted class");
    page.text(18, top + side / 2, "true class", 0.5, 90.0);

    // The colour bar beside the matrix, counts from none (below) to the most,
    // drawn as bands (PLplot's own colour bar leaks a cairo gradient each time).
    constexpr int bands = 128;
    const double bar_left = left + side + 24, bar_right = bar_left + 16;
    for (int band = 0; band < bands; ++band) {
        plcol1((band + 0.5) / bands);
        rectangle(bar_left, page.y(matrix_bottom - side * band / bands), bar_right,
                  page.y(matrix_bottom - side * (band + 1) / bands));
    }
    plcol0(ink);
    const std::array<PLFLT, 5> bar_x{bar_left, bar_right, bar_right, bar_left, bar_left};
    const std::array<PLFLT, 5> bar_y{page.y(top), page.y(top), page.y(matrix_bottom), page.y(matrix_bottom),
                                     page.y(top)};
    plline(5, bar_x.data(), bar_y.data());
    Page::font(tick_size);
    const double step = whole_number_step(static_cast<double>(most));
    for (double count = 0; count <= static_cast<double>(most); count += step) {
        const double at = matrix_bottom - side * count / static_cast<double>(most);
        pljoin(bar_right, page.y(at), bar_right + tick, page.y(at));
        page.text(bar_right + tick + 4, at, fmt::format("{}", count), 0.0);
    }
    page.write();
}

}  // namespace samples::plot
