// The app with the trained denoiser compiled in, through its binary: it cleans
// noisy PGM and PNG images, and refuses what is not a 28x28 grey image.
#include <algorithm>
#include <cmath>
#include <utility>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/idx_files.hpp"
#include "support/run_program.hpp"
#include "typenet/io/pgm_png_reader.hpp"
#include "typenet/io/png.hpp"
#include "typenet/random.hpp"

namespace fs = std::filesystem;
namespace tt = typenet::testing;
namespace io = typenet::io;

namespace {

const fs::path app = fs::path(TYPENET_SAMPLES_DIR) / "embed_denoiser";

double mean_squared_difference(const io::GrayImage& a, const io::GrayImage& b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i) sum += std::pow(double(a.pixels[i]) - b.pixels[i], 2);
    return sum / static_cast<double>(a.pixels.size());
}

void write_pgm(const fs::path& path, const io::GrayImage& image) {
    std::string bytes = "P5\n# a comment\n28 28\n255\n";
    for (const float v : image.pixels) bytes += static_cast<char>(static_cast<unsigned char>(std::lround(v * 255.0f)));
    tt::write_file(path, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

class EmbedDenoiser : public ::testing::Test {
protected:
    // Test image `index`, clean and with the notebook's noise (factor 0.2, clipped).
    static std::pair<io::GrayImage, io::GrayImage> clean_and_noisy(std::size_t index) {
        static const auto data = tt::small_fashion_mnist(16, 16);
        io::GrayImage clean{28, 28, std::vector<float>(784)};
        for (std::size_t i = 0; i < 784; ++i) clean.pixels[i] = data.test_images[index * 784 + i] / 255.0f;
        io::GrayImage noisy = clean;
        typenet::Random random(index, typenet::Stream::test);
        for (auto& v : noisy.pixels) v = std::clamp(v + 0.2f * random.normal(), 0.0f, 1.0f);
        return {clean, noisy};
    }
    tt::TempDir work_{"typenet embed "};
};

// Over 8 test images, in both formats, the denoised images are at least twice
// as close to the clean ones as the noisy inputs were.
TEST_F(EmbedDenoiser, CleansPgmAndPngImages) {
    for (const std::string format : {"pgm", "png"}) {
        double before = 0.0, after = 0.0;
        for (std::size_t index = 0; index < 8; ++index) {
            const auto [clean, noisy] = clean_and_noisy(index);
            const fs::path in = work_ / ("noisy." + format), out = work_ / ("clean." + format);
            if (format == "pgm") write_pgm(in, noisy);
            else io::write_png(in, noisy);
            const auto run = tt::run_program(app, {in.string(), out.string()});
            ASSERT_EQ(run.exit_code, 0) << run;
            const auto cleaned = io::read_gray_image(out);
            ASSERT_EQ(cleaned.width, 28u);
            ASSERT_EQ(cleaned.height, 28u);
            before += mean_squared_difference(io::read_gray_image(in), clean);
            after += mean_squared_difference(cleaned, clean);
        }
        EXPECT_LT(after, 0.5 * before) << format;
    }
}

TEST_F(EmbedDenoiser, RefusesWhatIsNotA28x28GreyImage) {
    io::write_png(work_ / "big.png", io::make_canvas(30, 28, 0.5f));
    const std::string not_an_image = "hello";
    tt::write_file(work_ / "text.png", std::span(reinterpret_cast<const std::uint8_t*>(not_an_image.data()), 5));
    const std::string truncated = "P5\n28 28\n255\nabc";
    tt::write_file(work_ / "short.pgm", std::span(reinterpret_cast<const std::uint8_t*>(truncated.data()), truncated.size()));
    for (const auto& [file, says] : {std::pair{"big.png", "takes 28x28 images, this one is 30x28"},
                                     std::pair{"text.png", "neither a PNG nor a PGM"},
                                     std::pair{"short.pgm", "truncated"}, std::pair{"missing.pgm", "cannot open"}}) {
        const auto run = tt::run_program(app, {(work_ / file).string(), (work_ / "out.png").string()});
        EXPECT_EQ(run.exit_code, 1) << run;
        EXPECT_NE(run.err.find(says), std::string::npos) << run;
        EXPECT_FALSE(fs::exists(work_ / "out.png"));
    }
    EXPECT_EQ(tt::run_program(app, {"only-one-argument"}).exit_code, 2);
}

}  // namespace
