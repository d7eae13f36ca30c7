// An embedded app's inference: the notebook's denoiser from an exported
// header, through a ModelView and a static InlineWorkspace, with only the
// headers that path needs. Built by run.sh as an app on a device would be:
// without exceptions and RTTI, for 32-bit targets too; it must need neither
// fmt nor the heap (run.sh checks its object file's references). Prints the
// denoised pixels of a fixed image, one a line, for run.sh to compare.
#include <cstdio>
#include <span>

#include "typenet/io/architecture.hpp"
#include "typenet/layers/conv2d.hpp"
#include "typenet/model.hpp"
#include TYPENET_DENOISER_HEADER

#if defined(FMT_VERSION) && !defined(__cpp_exceptions)
#error "the inference path must not include fmt"
#endif

namespace tn = typenet;

struct Encoder : tn::Sequential<tn::Conv2D<16, 3, 2, tn::Same, tn::ReLU>, tn::Conv2D<8, 3, 2, tn::Same, tn::ReLU>> {};
struct Decoder : tn::Sequential<tn::Conv2DTranspose<8, 3, 2, tn::Same, tn::ReLU>,
                                tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>,
                                tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>> {};
using Denoiser = tn::Model<tn::Input<28, 28, 1>, Encoder, Decoder>;
// The weights are this network's: caught at compile time, not on the device.
static_assert(tn::io::architecture_signature<Denoiser>() == trained_denoising_autoencoder::architecture_signature);

namespace {

tn::InlineWorkspace<Denoiser, 1> workspace;
// A device with 64 KB of RAM runs it: the activations and scratch of one image
// fit, the weights are const (flash), and the image is read into the
// workspace's own input (activation 0), where the model reads it in place.
static_assert(sizeof(workspace) <= 64000, "one denoised image must fit in 64 KB of RAM");
unsigned misuses = 0;

}  // namespace

int main() {
    const tn::ModelView<Denoiser> model{
        std::span<const float, Denoiser::parameter_count>(trained_denoising_autoencoder::parameters)};

    // A misuse the compiler cannot see (two rows for a workspace of one) is a
    // UsageError; without exceptions it goes to the handler, and the call does nothing.
    static float two_images[2 * 28 * 28];
#if defined(__cpp_exceptions)
    try {
        (void)model(workspace, two_images);
    } catch (const tn::UsageError&) {
        ++misuses;
    }
#else
    tn::usage_error_handler = [](const char*) { ++misuses; };
    if (!model(workspace, two_images).empty()) misuses = 0;
#endif
    if (misuses != 1) {
        std::puts("a misuse was not reported to the handler");
        return 1;
    }

    // A fixed image of stripes and a gradient: every pixel a value of its own.
    const std::span<float> image(workspace.activation(0), 28 * 28);
    for (int i = 0; i < 28 * 28; ++i) image[i] = static_cast<float>((i * 37) % 101) / 100.0f;
    const std::span<const float> denoised = model(workspace, image);
    for (const float pixel : denoised) std::printf("%.9g\n", static_cast<double>(pixel));
    return denoised.size() == 28 * 28 ? 0 : 1;
}
