// Writes the fuzz targets' seed corpus: a few small valid files per target,
// into <folder>/<target>/ (tests/fuzz/corpus/ is what it wrote). Run it again
// when a format changes:
//   make_fuzz_corpus tests/fuzz/corpus
// The model files and checkpoints hold the notebook's models after a few
// training steps, so that the optimizer's state is not all zeros.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "notebook_models.hpp"
#include "support/idx_files.hpp"
#include "typenet/io/model_file.hpp"
#include "typenet/typenet.hpp"

namespace {

namespace fs = std::filesystem;
namespace tn = typenet;
namespace io = typenet::io;
namespace testing = typenet::testing;

void write(const fs::path& folder, std::string_view name, std::span<const unsigned char> bytes) {
    fs::create_directories(folder);
    typenet::fuzzing::write_file(folder / name, bytes);
    std::printf("%s (%zu bytes)\n", (folder / name).c_str(), bytes.size());
}

void write_idx_seeds(const fs::path& folder) {
    const testing::FashionMnist data = testing::synthetic_fashion_mnist(3, 0);
    const testing::Bytes images = testing::idx_images(3, 28, 28, data.train_images);
    const testing::Bytes labels = testing::idx_labels(3, data.train_labels);
    write(folder, "images-3x28x28.idx", images);
    write(folder, "images-3x28x28.idx.gz", testing::gzip(images));
    write(folder, "labels-3.idx", labels);
    write(folder, "labels-3.idx.gz", testing::gzip(labels));
    // Images of a size the header gives: the target reads them at that size.
    const std::vector<std::uint8_t> tiny{0, 255, 1, 254, 2, 253, 3, 252, 4, 251, 5, 250};
    write(folder, "images-2x2x3.idx", testing::idx_images(2, 2, 3, tiny));
    // A gzip file of two members, split inside the header: read as one stream.
    const std::span<const std::uint8_t> all(labels);
    testing::Bytes members = testing::gzip(all.first(6));
    const testing::Bytes second = testing::gzip(all.subspan(6));
    members.insert(members.end(), second.begin(), second.end());
    write(folder, "labels-3-two-members.idx.gz", members);
}

// A model after a few Adam (or SGD) steps on synthetic images.
template <class M, class Optimizer>
struct Trained {
    M model{1};
    tn::Trainer<M, Optimizer, tn::MSE, 8> trainer{model};

    Trained() {
        const testing::FashionMnist data = testing::synthetic_fashion_mnist(8, 0);
        std::vector<float> images(data.train_images.size());
        for (std::size_t i = 0; i < images.size(); ++i) images[i] = data.train_images[i] / 255.0f;
        for (int step = 0; step < 3; ++step) trainer.step(images, images);
    }
};

void write_model_seeds(const fs::path& model_folder, const fs::path& checkpoint_folder) {
    Trained<notebook::DenoisingAutoencoder, tn::Adam> denoising;
    Trained<notebook::DenoisingAutoencoder, tn::SGD> denoising_sgd;
    Trained<notebook::DenseAutoencoder, tn::Adam> dense;
    const io::CheckpointInfo info{.epochs = 3, .seed = 42, .values = {{"noise_seed", 7}, {"shuffle_seed", 11}}};
    const auto model_file = io::model_file_bytes(denoising.model);
    const auto checkpoint = io::checkpoint_file_bytes(denoising.model, denoising.trainer.optimizer_state(), info);
    const auto sgd_checkpoint =
        io::checkpoint_file_bytes(denoising_sgd.model, denoising_sgd.trainer.optimizer_state(), {});
    write(model_folder, "denoising.tnm", model_file);
    write(model_folder, "dense.tnm", io::model_file_bytes(dense.model));
    write(model_folder, "denoising-adam.tnc", checkpoint);
    write(checkpoint_folder, "denoising-adam.tnc", checkpoint);
    write(checkpoint_folder, "denoising-sgd.tnc", sgd_checkpoint);
    write(checkpoint_folder, "denoising.tnm", model_file);
}

void write_csv_seeds(const fs::path& folder) {
    const auto text = [](std::string_view csv) {
        return std::span(reinterpret_cast<const unsigned char*>(csv.data()), csv.size());
    };
    write(folder, "header.csv", text("t0,t1,t2,t3,label\n0.5,-1.25,3e-2,+4,1\n-0.75,2.5,-1e-3,0,0\n"));
    write(folder, "bom-crlf-blank-lines.csv", text("\xEF\xBB\xBF" "1,2,3,0\r\n\r\n4.5, 5 ,\t6,1\r\n"));
    write(folder, "single-row.csv", text("-1.9,-2.5,0.25,1.5,-0.5,1"));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus folder, e.g. tests/fuzz/corpus>\n", argv[0]);
        return 2;
    }
    const fs::path corpus = argv[1];
    write_idx_seeds(corpus / "fuzz_idx");
    write_model_seeds(corpus / "fuzz_model_file", corpus / "fuzz_checkpoint");
    write_csv_seeds(corpus / "fuzz_csv");
    return 0;
}
