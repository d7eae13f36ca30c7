// An app that embeds a trained denoiser: the weights are compiled in (a header
// written by `denoising_autoencoder --export-header`), the model runs from
// them with a static workspace, and nothing is read but the image to clean.
//
//   embed_denoiser noisy.png clean.png      (PNG or PGM in; PNG out, or PGM if the name ends in .pgm,
//                                            or the floats, one a line, if it ends in .txt)
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

#include <fmt/format.h>

#include "notebook_models.hpp"
#include "typenet/io/pgm_png_reader.hpp"
#include "typenet/io/png.hpp"
#include "typenet/typenet.hpp"
#include TYPENET_DENOISER_HEADER

namespace tn = typenet;
using Denoiser = notebook::DenoisingAutoencoder;

static_assert(sizeof(trained_denoising_autoencoder::parameters) / sizeof(float) == Denoiser::parameter_count,
              "the exported header holds another network than notebook::DenoisingAutoencoder");

namespace {

void write_pgm(const std::filesystem::path& path, const tn::io::GrayImage& image) {
    std::string bytes = fmt::format("P5\n{} {}\n255\n", image.width, image.height);
    for (const float v : image.pixels) bytes += static_cast<char>(static_cast<unsigned char>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f));
    tn::io::write_text_file_atomically(path, bytes);
}

// The model's own numbers, unrounded: for comparing builds (tests/embedded/compare_builds.py).
void write_floats(const std::filesystem::path& path, std::span<const float> pixels) {
    std::string text;
    for (const float v : pixels) text += fmt::format("{:.9g}\n", v);
    tn::io::write_text_file_atomically(path, text);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        fmt::print(stderr, "usage: embed_denoiser NOISY_IMAGE OUTPUT_IMAGE  (28x28 grey PNG or PGM)\n");
        return 2;
    }
    const std::filesystem::path input = argv[1], output = argv[2];
    try {
        const auto image = tn::io::read_gray_image(input);
        if (image.width != 28 || image.height != 28)
            throw tn::DataError(fmt::format("{}: the denoiser takes 28x28 images, this one is {}x{}", input.string(),
                                            image.width, image.height));
        static tn::InlineWorkspace<Denoiser, 1> workspace;  // no heap: the activations live here
        const tn::ModelView<Denoiser> model(trained_denoising_autoencoder::parameters);
        const auto cleaned = model(workspace, image.pixels);
        const tn::io::GrayImage result{28, 28, {cleaned.begin(), cleaned.end()}};
        if (output.extension() == ".txt")
            write_floats(output, cleaned);
        else if (output.extension() == ".pgm")
            write_pgm(output, result);
        else
            tn::io::write_png(output, result);
    } catch (const tn::DataError& e) {
        fmt::print(stderr, "embed_denoiser: {}\n", e.what());
        return 1;
    }
    fmt::print("wrote {}\n", output.string());
}
