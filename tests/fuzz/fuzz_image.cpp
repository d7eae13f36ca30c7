// libFuzzer target: the grey-image reader of the embed_denoiser app (PNG of
// any colour type through libpng, PGM P5 and P2). It reads paths, so each input
// is written to a scratch file first. An accepted image has a size within the
// reader's bound and every value in [0, 1].
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "typenet/io/pgm_png_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const typenet::fuzzing::ScratchDirectory scratch("image");
    const auto path = scratch.path() / "input";
    typenet::fuzzing::write_file(path, std::span<const unsigned char>(data, size));
    typenet::io::GrayImage image;
    if (!typenet::fuzzing::accepts([&] { image = typenet::io::read_gray_image(path); })) return 0;
    typenet::fuzzing::require(image.width >= 1 && image.height >= 1 && image.width <= typenet::io::max_image_side &&
                                  image.height <= typenet::io::max_image_side &&
                                  image.pixels.size() == image.width * image.height,
                              "read_gray_image returned an image of an impossible size");
    for (const float v : image.pixels)
        typenet::fuzzing::require(v >= 0.0f && v <= 1.0f, "read_gray_image returned a value outside [0, 1]");
    return 0;
}
