// The samples' figures (samples/common/plot.hpp): each kind drawn into a
// temporary folder and read back as a PNG or SVG of the expected size, the
// same bytes every time, written whole over an older file or not at all.
#include <gtest/gtest.h>
#include <png.h>
#include <signal.h>        // SIGXFSZ
#include <sys/resource.h>  // setrlimit

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <numbers>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/plot.hpp"
#include "support/idx_files.hpp"
#include "support/run_program.hpp"
#include "typenet/error.hpp"

namespace {

namespace fs = std::filesystem;
namespace plot = samples::plot;
using typenet::testing::Bytes;

const std::vector<std::string> fashion_classes{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                               "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct RgbImage {
    std::uint32_t width = 0, height = 0;
    std::vector<std::uint8_t> pixels;  // red, green, blue

    [[nodiscard]] const std::uint8_t* at(std::uint32_t x, std::uint32_t y) const {
        return &pixels[(static_cast<std::size_t>(y) * width + x) * 3];
    }
};

// The whole file decoded by libpng, which checks every chunk on the way.
RgbImage read_png(const fs::path& file) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_file(&image, file.c_str()) == 0)
        throw std::runtime_error(file.string() + ": not a PNG file: " + image.message);
    image.format = PNG_FORMAT_RGB;
    RgbImage rgb{image.width, image.height, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(image))};
    if (png_image_finish_read(&image, nullptr, rgb.pixels.data(), 0, nullptr) == 0)
        throw std::runtime_error(file.string() + ": a damaged PNG file: " + image.message);
    return rgb;
}

std::string read_text(const fs::path& file) {
    const Bytes bytes = typenet::testing::read_file(file);
    return {bytes.begin(), bytes.end()};
}

std::vector<fs::path> entries_of(const fs::path& folder) {
    std::vector<fs::path> names;
    for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

// Keras's history of ten epochs, with a validation loss the first epoch lacks.
plot::LinePlot loss_curves() {
    plot::LinePlot figure{.title = "loss per epoch", .y_label = "loss"};
    plot::Series loss{.name = "loss"}, val_loss{.name = "val_loss"};
    for (int epoch = 1; epoch <= 10; ++epoch) {
        figure.x.push_back(epoch);
        loss.values.push_back(0.01 + 0.02 * std::exp(-epoch / 2.0));
        val_loss.values.push_back(epoch == 1 ? NAN : 0.011 + 0.018 * std::exp(-epoch / 2.5));
    }
    figure.series = {loss, val_loss};
    return figure;
}

plot::LinePlot accuracy_curves() {
    plot::LinePlot figure{.title = "accuracy per epoch", .y_label = "accuracy"};
    plot::Series accuracy{.name = "accuracy"}, val_accuracy{.name = "val_accuracy"};
    for (int epoch = 1; epoch <= 5; ++epoch) {
        figure.x.push_back(epoch);
        accuracy.values.push_back(0.9 - 0.2 / epoch);
        val_accuracy.values.push_back(0.88 - 0.2 / epoch);
    }
    figure.series = {accuracy, val_accuracy};
    return figure;
}

plot::HistogramPlot error_histograms() {
    plot::HistogramPlot figure{.title = "reconstruction errors", .x_label = "mean absolute error"};
    plot::Series normal{.name = "normal (300)"}, anomalous{.name = "anomalous (2700)"};
    // Fixed spreads of values, as a seeded run gives; one extreme value beyond the axis.
    for (int i = 0; i < 300; ++i) normal.values.push_back(0.03 + 0.01 * std::sin(i * 0.7));
    for (int i = 0; i < 2700; ++i) anomalous.values.push_back(0.07 + 0.02 * std::sin(i * 1.3));
    anomalous.values.push_back(5.0);
    figure.histograms = {normal, anomalous};
    figure.markers = {{.name = "threshold 0.0410", .x = 0.041}};
    return figure;
}

// A variational autoencoder's latent means: 2,000 test images of 10 classes,
// each class spread around its own centre on a circle.
plot::ScatterPlot latent_means() {
    plot::ScatterPlot figure{.title = "latent means of the test images", .x_label = "z[0]", .y_label = "z[1]",
                             .group_names = fashion_classes};
    for (std::size_t i = 0; i < 2000; ++i) {
        const std::size_t label = i % 10;
        const double angle = 0.2 * std::numbers::pi * static_cast<double>(label);
        figure.x.push_back(2.0 * std::cos(angle) + 0.6 * std::sin(static_cast<double>(i) * 0.7));
        figure.y.push_back(1.5 * std::sin(angle) + 0.6 * std::cos(static_cast<double>(i) * 1.3));
        figure.group.push_back(label);
    }
    return figure;
}

// 20 synthetic 28x28 images, pixel (x, y) of image i being ((x + y + i) % 29) / 28.
const std::vector<float>& synthetic_images() {
    static const std::vector<float> pixels = [] {
        std::vector<float> values(20 * 28 * 28);
        for (std::size_t i = 0; i < 20; ++i)
            for (std::size_t y = 0; y < 28; ++y)
                for (std::size_t x = 0; x < 28; ++x)
                    values[(i * 28 + y) * 28 + x] = static_cast<float>((x + y + i) % 29) / 28.0f;
        return values;
    }();
    return pixels;
}

// The classifier's figure: each image titled with its predicted class and,
// in brackets, its true class; every third one wrong.
plot::ImageGrid predictions() {
    plot::ImageGrid grid{.title = "predictions on the test images"};
    for (std::size_t i = 0; i < 20; ++i) {
        const std::size_t truth = i % 10, predicted = i % 3 == 0 ? (i + 1) % 10 : truth;
        grid.images.push_back({.pixels = std::span(synthetic_images()).subspan(i * 784, 784),
                               .title = {fashion_classes[predicted], "(" + fashion_classes[truth] + ")"},
                               .marked = predicted != truth});
    }
    return grid;
}

plot::ConfusionMatrixPlot confusion() {
    plot::ConfusionMatrixPlot figure{.title = "confusion matrix of the test images", .class_names = fashion_classes};
    for (std::size_t truth = 0; truth < 10; ++truth)
        for (std::size_t predicted = 0; predicted < 10; ++predicted)
            figure.counts.push_back(truth == predicted ? 800 + 17 * truth : (truth * 7 + predicted * 3) % 23);
    return figure;
}

struct FigureKind {
    std::string name;  // also the file's name
    std::uint32_t width, height;
    std::function<void(const fs::path&)> draw;
};

void PrintTo(const FigureKind& kind, std::ostream* stream) { *stream << kind.name; }

std::vector<FigureKind> figure_kinds() {
    return {
        {"loss.png", 640, 400, [](const fs::path& f) { plot::write_line_plot(f, loss_curves()); }},
        {"accuracy.png", 640, 400, [](const fs::path& f) { plot::write_line_plot(f, accuracy_curves()); }},
        {"errors.png", 800, 480, [](const fs::path& f) { plot::write_histograms(f, error_histograms()); }},
        {"latent.png", 720, 600, [](const fs::path& f) { plot::write_scatter_plot(f, latent_means()); }},
        // 10 columns of 28 x 4 pixels and gaps of 4; a title band of 30, then
        // two rows of two title lines (14 each, and 4), an image and a gap.
        {"predictions.png", 1164, 34 + 2 * (32 + 112 + 4),
         [](const fs::path& f) { plot::write_image_grid(f, predictions()); }},
        {"confusion.png", 760, 680, [](const fs::path& f) { plot::write_confusion_matrix(f, confusion()); }},
    };
}

class Plots : public ::testing::Test {
protected:
    typenet::testing::TempDir scratch_;
};

class EachFigure : public Plots, public ::testing::WithParamInterface<FigureKind> {};

TEST_P(EachFigure, IsAPngOfItsSizeAndTheSameBytesEveryTime) {
    const fs::path first = scratch_ / GetParam().name, again = scratch_ / ("again " + GetParam().name);
    GetParam().draw(first);
    const RgbImage image = read_png(first);
    EXPECT_EQ(image.width, GetParam().width);
    EXPECT_EQ(image.height, GetParam().height);
    // Something other than the page was drawn: at least 1% of the pixels are not white.
    const auto inked = std::count_if(image.pixels.begin(), image.pixels.end(), [](std::uint8_t v) { return v < 200; });
    EXPECT_GT(inked, static_cast<std::ptrdiff_t>(image.pixels.size() / 100));

    GetParam().draw(again);
    EXPECT_EQ(typenet::testing::read_file(first), typenet::testing::read_file(again)) << "drawn twice, not the same";
    std::vector<fs::path> expected{first.filename(), again.filename()};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(entries_of(scratch_.path()), expected) << "a temporary file was left behind";
}

INSTANTIATE_TEST_SUITE_P(Kinds, EachFigure, ::testing::ValuesIn(figure_kinds()),
                         [](const ::testing::TestParamInfo<FigureKind>& info) {
                             return info.param.name.substr(0, info.param.name.find('.'));
                         });

TEST_F(Plots, SvgLinePlotIsAWholeDocumentOfItsSizeAndTheSameBytesAfterOtherFigures) {
    const fs::path first = scratch_ / "loss.svg", again = scratch_ / "again.svg";
    plot::write_line_plot(first, loss_curves());
    // cairo numbers the surfaces of the whole process: other figures in between change its count.
    plot::write_image_grid(scratch_ / "grid.png", predictions());
    plot::write_line_plot(scratch_ / "other.svg", accuracy_curves());
    plot::write_line_plot(again, loss_curves());
    const std::string svg = read_text(first);
    EXPECT_TRUE(svg.starts_with("<?xml")) << svg.substr(0, 100);
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("width=\"640pt\" height=\"400pt\""), std::string::npos) << svg.substr(0, 300);
    EXPECT_TRUE(svg.ends_with("</svg>\n")) << "the document is cut short";
    EXPECT_EQ(svg, read_text(again));
}

// The grid's images are the images' own pixels, each a 4x4 square, in grey.
TEST_F(Plots, ImageGridPastesEachPixelAsASquareOfItsGrey) {
    const fs::path file = scratch_ / "grid.png";
    plot::ImageGrid grid{.columns = 2};  // no title, no title lines: the images start after one gap
    for (std::size_t i = 0; i < 2; ++i) grid.images.push_back({.pixels = std::span(synthetic_images()).subspan(i * 784, 784)});
    plot::write_image_grid(file, grid);
    const RgbImage image = read_png(file);
    ASSERT_EQ(image.width, 2u * (112 + 4) + 4);
    ASSERT_EQ(image.height, 4u + 112 + 4);
    int worst = 0;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::uint32_t y = 0; y < 112; ++y)
            for (std::uint32_t x = 0; x < 112; ++x) {
                const float grey = synthetic_images()[(i * 28 + y / 4) * 28 + x / 4];
                const std::uint8_t* rgb = image.at(4 + static_cast<std::uint32_t>(i) * 116 + x, 4 + y);
                const int expected = static_cast<int>(std::lround(grey * 255.0f));
                EXPECT_TRUE(rgb[0] == rgb[1] && rgb[1] == rgb[2]) << "not grey at " << x << "," << y;
                worst = std::max(worst, std::abs(rgb[0] - expected));
            }
    EXPECT_LE(worst, 1) << "a pixel's grey is off by " << worst << " levels of 255";
}

TEST_F(Plots, WrongPredictionsAreTitledInRed) {
    const fs::path file = scratch_ / "predictions.png";
    plot::write_image_grid(file, predictions());
    const RgbImage image = read_png(file);
    // The title lines of the first row's images, from x = 4 + 116 i, y = 34 to 66.
    const auto reddish_in_title = [&](std::uint32_t column) {
        std::size_t red = 0;
        for (std::uint32_t y = 34; y < 66; ++y)
            for (std::uint32_t x = 4 + 116 * column; x < 116 * (column + 1); ++x) {
                const std::uint8_t* rgb = image.at(x, y);
                red += rgb[0] > 150 && rgb[1] < 120 && rgb[2] < 120;
            }
        return red;
    };
    for (std::uint32_t column = 0; column < 10; ++column) {
        const bool wrong = column % 3 == 0;
        if (wrong)
            EXPECT_GT(reddish_in_title(column), 20u) << "image " << column << " is a wrong prediction";
        else
            EXPECT_EQ(reddish_in_title(column), 0u) << "image " << column << " is right";
    }
}

TEST_F(Plots, TitlesWiderThanTheImagesWidenTheColumns) {
    plot::ImageGrid grid = predictions();
    grid.images[3].title[0] = "a title far wider than its image of 112 pixels";
    const fs::path file = scratch_ / "wide.png";
    plot::write_image_grid(file, grid);
    EXPECT_GT(read_png(file).width, 1164u * 2);
}

TEST_F(Plots, ConfusionMatrixColoursTheDiagonalDarkest) {
    const fs::path file = scratch_ / "confusion.png";
    plot::write_confusion_matrix(file, confusion());
    const RgbImage image = read_png(file);
    // matplotlib's Blues at its darkest is (8, 48, 107); its lightest nearly white.
    std::size_t dark_blue = 0;
    for (std::size_t i = 0; i + 2 < image.pixels.size(); i += 3)
        dark_blue += image.pixels[i] < 40 && image.pixels[i + 1] < 90 && image.pixels[i + 2] > 90;
    EXPECT_GT(dark_blue, 10u * 20 * 20) << "ten dark cells of some 45x45 pixels were expected";
}

// matplotlib's tab10, the groups' colours in order.
constexpr std::array<std::array<std::uint8_t, 3>, 10> tab10{{{31, 119, 180},
                                                             {255, 127, 14},
                                                             {44, 160, 44},
                                                             {214, 39, 40},
                                                             {148, 103, 189},
                                                             {140, 86, 75},
                                                             {227, 119, 194},
                                                             {127, 127, 127},
                                                             {188, 189, 34},
                                                             {23, 190, 207}}};

// The pixels of exactly this colour (the middle of a dot, not its antialiased edge) in the columns from x_start on.
std::size_t pixels_of(const RgbImage& image, const std::array<std::uint8_t, 3>& colour, std::uint32_t x_start) {
    std::size_t count = 0;
    for (std::uint32_t y = 0; y < image.height; ++y)
        for (std::uint32_t x = x_start; x < image.width; ++x)
            count += std::equal(colour.begin(), colour.end(), image.at(x, y));
    return count;
}

// Each group's dots in its own colour, and the legend beside the plot area
// (right of it: the dots stop at the frame) shows every group's colour.
TEST_F(Plots, ScatterPlotColoursEachGroupAndNamesEveryGroupBesideThePoints) {
    const fs::path file = scratch_ / "latent.png";
    plot::ScatterPlot figure = latent_means();
    // The last group without points: named in the legend all the same.
    for (auto& group : figure.group) group = group == 9 ? 8 : group;
    plot::write_scatter_plot(file, figure);
    const RgbImage image = read_png(file);
    // The frame's right edge: the rightmost dark grey pixel of the page's middle row.
    std::uint32_t frame = image.width - 1;
    const auto dark_grey = [](const std::uint8_t* rgb) { return rgb[0] < 160 && rgb[0] == rgb[1] && rgb[1] == rgb[2]; };
    while (frame > 0 && !dark_grey(image.at(frame, image.height / 2))) --frame;
    ASSERT_GT(frame, image.width / 2) << "no frame found";
    ASSERT_LT(frame, image.width - 100) << "no room for the legend right of the frame";
    for (std::size_t g = 0; g < 10; ++g) {
        const std::size_t everywhere = pixels_of(image, tab10[g], 0), beside = pixels_of(image, tab10[g], frame + 1);
        EXPECT_GT(beside, 5u) << "group " << g << " is not in the legend";
        if (g == 9)
            EXPECT_EQ(everywhere, beside) << "group 9 has no points";
        else
            EXPECT_GT(everywhere - beside, 200u) << "group " << g << "'s 200 or 400 points are not drawn";
    }
}

// One point still makes axes, around it: an empty window would be PLplot's error.
TEST_F(Plots, AScatterPlotOfOnePointIsDrawn) {
    const fs::path file = scratch_ / "one.png";
    plot::write_scatter_plot(file, {.x = {3.0}, .y = {3.0}, .group = {0}, .group_names = {"alone"}});
    const RgbImage image = read_png(file);
    EXPECT_EQ(image.width, 720u);
    EXPECT_GT(pixels_of(image, tab10[0], 0), 10u);
}

TEST_F(Plots, AnExistingFileIsReplacedWhole) {
    const fs::path file = scratch_ / "loss.png";
    typenet::testing::write_file(file, Bytes{'o', 'l', 'd'});
    plot::write_line_plot(file, loss_curves());
    EXPECT_EQ(read_png(file).width, 640u);
    EXPECT_EQ(entries_of(scratch_.path()), std::vector<fs::path>{"loss.png"});
}

TEST_F(Plots, AMissingFolderIsAnErrorNamingThePath) {
    const fs::path file = scratch_ / "no such folder" / "loss.png";
    try {
        plot::write_line_plot(file, loss_curves());
        FAIL() << "wrote into a missing folder";
    } catch (const typenet::DataError& e) {
        EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
    EXPECT_TRUE(entries_of(scratch_.path()).empty());
}

TEST_F(Plots, AReadOnlyFolderIsAnErrorNamingThePath) {
    if (::geteuid() == 0) GTEST_SKIP() << "root may write into a read-only folder";
    const fs::path folder = scratch_ / "read only", file = folder / "errors.png";
    fs::create_directory(folder);
    typenet::testing::write_file(file, Bytes{'o', 'l', 'd'});
    fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
    std::string message;
    try {
        plot::write_histograms(file, error_histograms());
    } catch (const typenet::DataError& e) {
        message = e.what();
    }
    fs::permissions(folder, fs::perms::owner_all);  // so that the scratch folder can be removed
    EXPECT_NE(message.find(file.string()), std::string::npos) << "no error, or one without the path: " << message;
    EXPECT_EQ(typenet::testing::read_file(file), (Bytes{'o', 'l', 'd'}));
}

// A write that fails halfway (here the process may write no file beyond 1000
// bytes, as a full disk would stop it) leaves the old file as it was, and no temporary file.
TEST_F(Plots, AWriteThatFailsLeavesTheOldFileWhole) {
    const fs::path file = scratch_ / "reconstructions.png";
    const Bytes old{'o', 'l', 'd'};
    typenet::testing::write_file(file, old);
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &limit), 0);
    const rlimit small{1000, limit.rlim_max};
    auto* const previous_handler = ::signal(SIGXFSZ, SIG_IGN);  // a write beyond the limit then fails with EFBIG
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string message;
    try {
        plot::write_image_grid(file, predictions());
    } catch (const typenet::DataError& e) {
        message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &limit);
    ::signal(SIGXFSZ, previous_handler);
    EXPECT_NE(message.find(file.string()), std::string::npos) << "no error, or one without the path: " << message;
    EXPECT_EQ(typenet::testing::read_file(file), old);
    EXPECT_EQ(entries_of(scratch_.path()), std::vector<fs::path>{"reconstructions.png"});
}

TEST_F(Plots, MalformedFiguresAreUsageErrorsAndWriteNothing) {
    const fs::path file = scratch_ / "figure.png";
    const Bytes old{'o', 'l', 'd'};
    typenet::testing::write_file(file, old);
    const auto expect_usage_error = [&](const std::function<void()>& draw, std::string_view words) {
        try {
            draw();
            ADD_FAILURE() << "no error; expected one saying " << words;
        } catch (const typenet::UsageError& e) {
            EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        }
    };
    plot::LinePlot short_series = loss_curves();
    short_series.series[1].values.pop_back();
    expect_usage_error([&] { plot::write_line_plot(file, short_series); }, "val_loss has 9 values for 10 x");
    plot::ConfusionMatrixPlot missing_counts = confusion();
    missing_counts.counts.pop_back();
    expect_usage_error([&] { plot::write_confusion_matrix(file, missing_counts); }, "99 counts for 10 classes");
    plot::ImageGrid mixed_sizes = predictions();
    mixed_sizes.images[5].width = 14;
    expect_usage_error([&] { plot::write_image_grid(file, mixed_sizes); }, "image 5 is 14x28");
    plot::HistogramPlot infinite = error_histograms();
    infinite.histograms[0].values[7] = INFINITY;
    expect_usage_error([&] { plot::write_histograms(file, infinite); }, "histogram normal (300) holds inf");
    plot::ScatterPlot short_y = latent_means();
    short_y.y.pop_back();
    expect_usage_error([&] { plot::write_scatter_plot(file, short_y); }, "2000 x, 1999 y and 2000 groups");
    plot::ScatterPlot unnamed_group = latent_means();
    unnamed_group.group[12] = 10;
    expect_usage_error([&] { plot::write_scatter_plot(file, unnamed_group); },
                       "point 12 is in group 10, beyond the 10 group names");
    plot::ScatterPlot not_a_number = latent_means();
    not_a_number.x[7] = INFINITY;
    not_a_number.y[7] = NAN;
    expect_usage_error([&] { plot::write_scatter_plot(file, not_a_number); }, "point 7 is at (inf, nan)");
    plot::ScatterPlot eleven_groups = latent_means();
    eleven_groups.group_names.push_back("eleventh");
    expect_usage_error([&] { plot::write_scatter_plot(file, eleven_groups); },
                       "11 group names; a scatter plot tells 1 to 10 groups apart by colour");
    expect_usage_error([&] { plot::write_scatter_plot(file, {.group_names = {"none"}}); }, "at least one point");
    expect_usage_error([&] { plot::write_scatter_plot(file, latent_means(), 300, 300); }, "too small");
    EXPECT_EQ(typenet::testing::read_file(file), old);
    EXPECT_EQ(entries_of(scratch_.path()), std::vector<fs::path>{"figure.png"});

    try {
        plot::write_line_plot(scratch_ / "loss.jpg", loss_curves());
        ADD_FAILURE() << "wrote a .jpg";
    } catch (const typenet::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find(".png or .svg"), std::string::npos) << e.what();
    }
}

// The samples' last line of output is read by their tests: PLplot, cairo and
// fontconfig must print nothing.
TEST_F(Plots, DrawingPrintsNothing) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    for (const auto& kind : figure_kinds()) kind.draw(scratch_ / kind.name);
    plot::write_line_plot(scratch_ / "loss.svg", loss_curves());
    const std::string out = ::testing::internal::GetCapturedStdout();
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(out, "");
    EXPECT_EQ(err, "");
}

// PLplot's state is global: figures drawn from two threads at once take turns.
TEST_F(Plots, FiguresFromTwoThreadsAreEachWhole) {
    plot::write_line_plot(scratch_ / "alone.png", loss_curves());
    plot::write_confusion_matrix(scratch_ / "alone confusion.png", confusion());
    std::thread other([&] {
        for (int i = 0; i < 3; ++i) plot::write_confusion_matrix(scratch_ / "confusion.png", confusion());
    });
    for (int i = 0; i < 3; ++i) plot::write_line_plot(scratch_ / "loss.png", loss_curves());
    other.join();
    EXPECT_EQ(typenet::testing::read_file(scratch_ / "loss.png"), typenet::testing::read_file(scratch_ / "alone.png"));
    EXPECT_EQ(typenet::testing::read_file(scratch_ / "confusion.png"),
              typenet::testing::read_file(scratch_ / "alone confusion.png"));
}

}  // namespace
