#pragma once
// The samples' figures, drawn by PLplot with its cairo driver (antialiased
// PNG and SVG, text in a real font), as matplotlib draws the notebook's: line
// plots of named series (loss, val_loss; accuracy, val_accuracy), histograms
// with marked values, scatter plots of points coloured by group, grids of
// titled images and a confusion matrix.
//
// The file's extension picks the format: .png or .svg. A figure is drawn in
// memory and then written atomically (typenet::io::write_text_file_atomically):
// a failure leaves the file that was there whole, and throws a
// typenet::DataError naming the file. The same figure gives the same bytes.
//
// PLplot keeps its state in globals and is not thread-safe: every function
// here holds one lock for the whole figure, and the samples draw from their
// main thread only. Nothing here prints: PLplot's complaints become the
// message of the DataError.
//
// This header does not include PLplot's: the drawing is compiled once, in
// plot.cpp (the CMake target typenet_sample_plots), for the samples and their tests.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace samples::plot {

// Values under a name: a line's y for each x of its plot (NaN where it has
// none, as val_loss without validation data), or a histogram's observations.
struct Series {
    std::string name = {};
    std::vector<double> values = {};
};

// Keras's history plot: each series a line of its own colour, named in the legend.
struct LinePlot {
    std::string title = {};
    std::string x_label = "epoch";
    std::string y_label = {};
    std::vector<double> x = {};  // whole numbers (epochs) get whole-number ticks
    std::vector<Series> series = {};  // each with one value for each x
};

void write_line_plot(const std::filesystem::path& file, const LinePlot& plot, std::size_t width = 640,
                     std::size_t height = 400);

// A value marked across the plot by a dashed vertical line, named in the legend.
struct Marker {
    std::string name = {};
    double x = 0.0;
};

// Histograms on one axis, each as the share of its own observations in each
// bin, so that a small group stays visible beside a large one. The axis spans
// the 0.5th to the 99.5th percentile of all observations (and the markers):
// a few extreme values would squeeze the rest into one bin; those beyond are
// counted in the bins at the ends.
struct HistogramPlot {
    std::string title = {};
    std::string x_label = {};
    std::string y_label = "share of the examples (%)";
    std::vector<Series> histograms = {};
    std::vector<Marker> markers = {};
    std::size_t bins = 50;
};

void write_histograms(const std::filesystem::path& file, const HistogramPlot& plot, std::size_t width = 800,
                      std::size_t height = 480);

// A variational autoencoder's latent space, as Keras's VAE example draws it
// (plt.scatter(z_mean[:, 0], z_mean[:, 1], c=labels)): each point a small
// filled dot in its group's colour (matplotlib's tab10), drawn in the order
// given, so that no group hides the others wholesale; the legend on the
// right names every group, points or none. The axes span the points with
// matplotlib's 5% margins. Every point is drawn: a coordinate that is not
// finite, a group beyond group_names or sizes that differ are refused, not
// skipped, since a point left out would silently change the figure.
struct ScatterPlot {
    std::string title = {};
    std::string x_label = {};
    std::string y_label = {};
    std::vector<double> x = {}, y = {};         // a point's coordinates, one each
    std::vector<std::size_t> group = {};        // a point's group (its class), an index into group_names
    std::vector<std::string> group_names = {};  // 1 to 10: as many as tab10 tells apart
};

void write_scatter_plot(const std::filesystem::path& file, const ScatterPlot& plot, std::size_t width = 720,
                        std::size_t height = 600);

// One image of a grid: grey pixels, row-major, 0 black to 1 white (values
// beyond are clamped), drawn pixel for pixel, scaled, under its title lines.
struct GridImage {
    std::span<const float> pixels = {};
    std::size_t width = 28;
    std::size_t height = 28;
    std::vector<std::string> title = {};  // lines above the image
    bool marked = false;             // the title in red: a wrong prediction
};

struct ImageGrid {
    std::string title = {};  // above the grid; none when empty
    std::size_t columns = 10;
    std::size_t scale = 4;  // each pixel a scale x scale square
    std::vector<GridImage> images = {};
};

// The page's size follows the grid: a band of 30 pixels for the title (if
// any), then rows of columns with a gap of 4 pixels around each; a column is
// as wide as a scaled image, or as its titles need, under 14 pixels a title
// line and 4 more.
void write_image_grid(const std::filesystem::path& file, const ImageGrid& grid);

// scikit-learn's ConfusionMatrixDisplay: row i, column j holds the examples
// of true class i predicted as class j, coloured by their count and labelled with it.
struct ConfusionMatrixPlot {
    std::string title = {};
    std::vector<std::string> class_names = {};
    std::vector<std::size_t> counts = {};  // row-major, class_names.size() squared
};

void write_confusion_matrix(const std::filesystem::path& file, const ConfusionMatrixPlot& plot,
                            std::size_t width = 760, std::size_t height = 680);

}  // namespace samples::plot
