#pragma once
// The notebook's denoising task, as every denoiser sample runs it: Gaussian
// noise drawn once for the training and the test images (a resumed run keeps
// its noise factor), noisy images in and clean ones as targets, validated on
// the noisy test set; then denoised.png and the last line, val_loss.
#include <bit>
#include <cstddef>
#include <string>

#include <fmt/format.h>

#include "common/figures.hpp"
#include "common/sample_cli.hpp"
#include "common/training_files.hpp"
#include "typenet/noise.hpp"
#include "typenet/typenet.hpp"

namespace samples {

struct DenoisingSample {
    std::string program;      // the program's name, which begins its messages
    std::string description;  // what --help says it does
    std::string out;          // the default --out folder
    std::string trained_name; // the namespace of --export-header's header
};

// Trains model M as the notebook trains its denoiser; denoise(model, noisy
// test images) returns the denoised test images for the figure.
template <class M, class Denoise>
int run_denoising_task(int argc, char** argv, const DenoisingSample& sample, Denoise denoise) {
    namespace tn = typenet;
    // The largest --batch; the training workspace is sized for it.
    constexpr std::size_t batch_capacity = 256;
    using Image = tn::Shape<28, 28, 1>;
    const std::string& program = sample.program;
    CLI::App app{sample.description, program};
    TrainingFlags flags;
    flags.out = sample.out;
    add_training_flags(app, flags, batch_capacity);
    add_model_file_flags(app, flags);
    double noise_factor = 0.2;
    app.add_option("--noise", noise_factor, "standard deviation of the added Gaussian noise, 0 to 1")
        ->capture_default_str()
        ->check(between(0.0, 1.0, "a noise factor from 0 to 1"));
    parse_flags(app, argc, argv);
    print_summary_if_asked<M>(flags);

    const auto data = load_data_or_exit(program, flags.data);

    M model(flags.seed);
    tn::Trainer<M, tn::Adam, tn::MSE, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    TrainingFiles files(program, flags, trainer, "MSE, per pixel");
    files.extra().values["noise_factor"] = std::bit_cast<std::uint64_t>(noise_factor);
    const auto resumed = files.resume();
    prepare_output_folder(program, flags.out);  // only once every input has been read
    if (const auto stored = resumed.values.find("noise_factor"); stored != resumed.values.end())
        noise_factor = std::bit_cast<double>(stored->second);  // a resumed run keeps its noise

    // Drawn once, as the notebook does, for the training and the test images; targets stay clean.
    tn::Random noise(resumed.seed, tn::Stream::noise);
    const auto train_noisy = tn::add_gaussian_noise(data.train_images.pixels, static_cast<float>(noise_factor), noise);
    const auto test_noisy = tn::add_gaussian_noise(data.test_images.pixels, static_cast<float>(noise_factor), noise);
    const tn::Samples<Image> train{data.train_images.pixels}, test{data.test_images.pixels};
    const tn::Samples<Image> noisy_train{train_noisy}, noisy_test{test_noisy};
    fmt::print("Fashion-MNIST: {} training and {} test images from {}, noise factor {}\n", train.count(), test.count(),
               flags.data.string(), noise_factor);

    tn::History history;
    run_or_exit(program, [&] {
        tn::fit(trainer, noisy_train, train, noisy_test, test, files.fit_options(resumed, history));
        files.finish(sample.trained_name);
        const auto denoised = denoise(model, noisy_test.values());
        write_image_rows(flags.out / "denoised.png", program + ": test images, with noise, denoised",
                         {{"original", test.values()}, {"noisy", test_noisy}, {"denoised", denoised}});
    });
    fmt::print("wrote history.csv, loss.svg, checkpoint.tnm, model.tnm and denoised.png into {}\n", flags.out.string());
    fmt::print("val_loss: {:.5f}\n", history.back().val_loss);
    return 0;
}

}  // namespace samples
