// libFuzzer target: the IDX reader, plain and gzip'd (told apart by the
// bytes, as the reader does), and the Fashion-MNIST folder loader. The
// reader takes a path, not bytes, so each input is written to a file in this
// process's scratch directory and read from there as
//   - labels;
//   - images of 28x28, and of the size its own header gives (so that inputs
//     of tiny images, and of sizes no caller can take, reach the payload);
//   - the training labels, then the training images, of a folder whose
//     other three files are small and valid (symbolic links to the input).
// What the reader accepts from a plain file must be that file's bytes: the
// header, then exactly the payload, each byte b read as b / 255.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "typenet/io/idx.hpp"

namespace {

namespace fs = std::filesystem;
namespace io = typenet::io;
namespace fuzzing = typenet::fuzzing;

constexpr std::uint32_t images_magic = 0x00000803, labels_magic = 0x00000801;
constexpr std::size_t images_header = 16, labels_header = 8, folder_count = 3;

fuzzing::Bytes idx_file(std::uint32_t magic, std::span<const std::uint32_t> sizes, std::size_t payload) {
    fuzzing::Bytes bytes;
    const auto append = [&bytes](std::uint32_t word) {
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<unsigned char>(word >> shift));
    };
    append(magic);
    for (const std::uint32_t size : sizes) append(size);
    for (std::size_t i = 0; i < payload; ++i) bytes.push_back(static_cast<unsigned char>(i % 10));
    return bytes;
}

// The scratch directory: the input, and two Fashion-MNIST folders in which
// the training labels or the training images are the input.
struct Scratch {
    fuzzing::ScratchDirectory directory{"idx"};
    fs::path input = directory.path() / "input";
    fs::path labels_folder = directory.path() / "labels-from-input";
    fs::path images_folder = directory.path() / "images-from-input";

    Scratch() {
        const std::array<std::uint32_t, 3> image_sizes{folder_count, 28, 28};
        const std::array<std::uint32_t, 1> label_sizes{folder_count};
        const fuzzing::Bytes images = idx_file(images_magic, image_sizes, folder_count * 28 * 28);
        const fuzzing::Bytes labels = idx_file(labels_magic, label_sizes, folder_count);
        for (const fs::path& folder : {labels_folder, images_folder}) {
            fs::create_directories(folder);
            const bool labels_from_input = folder == labels_folder;
            link_or_write(folder / "train-labels-idx1-ubyte", labels_from_input, labels);
            link_or_write(folder / "train-images-idx3-ubyte", !labels_from_input, images);
            fuzzing::write_file(folder / "t10k-labels-idx1-ubyte", labels);
            fuzzing::write_file(folder / "t10k-images-idx3-ubyte", images);
        }
    }

    void link_or_write(const fs::path& path, bool link, std::span<const unsigned char> bytes) const {
        if (link) fs::create_symlink(input, path);
        else fuzzing::write_file(path, bytes);
    }
};

std::uint32_t big_endian_at(std::span<const unsigned char> bytes, std::size_t offset) {
    return std::uint32_t{bytes[offset]} << 24 | std::uint32_t{bytes[offset + 1]} << 16 |
           std::uint32_t{bytes[offset + 2]} << 8 | std::uint32_t{bytes[offset + 3]};
}

bool is_gzip(std::span<const unsigned char> bytes) { return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b; }

void check_images(const io::Images& images, std::span<const unsigned char> bytes, std::size_t rows,
                  std::size_t cols) {
    fuzzing::require(images.rows == rows && images.cols == cols, "load_idx_images returned another image size");
    fuzzing::require(images.pixels.size() == images.count * rows * cols,
                     "load_idx_images returned a pixel count that is not count x rows x cols");
    if (is_gzip(bytes)) return;
    fuzzing::require(bytes.size() == images_header + images.pixels.size() &&
                         big_endian_at(bytes, 4) == images.count,
                     "load_idx_images accepted a plain file that is not its header and exactly its payload");
    for (std::size_t i = 0; i < images.pixels.size(); ++i)
        fuzzing::require(images.pixels[i] == static_cast<float>(bytes[images_header + i]) / 255.0f,
                         "load_idx_images returned a pixel that is not its byte / 255");
}

void check_labels(const std::vector<std::uint8_t>& labels, std::span<const unsigned char> bytes) {
    if (is_gzip(bytes)) return;
    fuzzing::require(bytes.size() == labels_header + labels.size() && big_endian_at(bytes, 4) == labels.size() &&
                         std::ranges::equal(labels, bytes.subspan(labels_header)),
                     "load_idx_labels accepted a plain file that is not its header and exactly its labels");
}

void check_dataset(const io::Dataset& dataset) {
    const auto labels_fit = [](const std::vector<std::uint8_t>& labels, const io::Images& images) {
        return labels.size() == images.count && std::ranges::all_of(labels, [](std::uint8_t l) { return l <= 9; });
    };
    fuzzing::require(labels_fit(dataset.train_labels, dataset.train_images) &&
                         labels_fit(dataset.test_labels, dataset.test_images),
                     "load_fashion_mnist returned labels that do not fit its images");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Scratch scratch;
    const std::span<const unsigned char> bytes(data, size);
    fuzzing::write_file(scratch.input, bytes);

    fuzzing::accepts([&] { check_labels(io::load_idx_labels(scratch.input), bytes); });
    fuzzing::accepts([&] { check_images(io::load_idx_images(scratch.input, 28, 28), bytes, 28, 28); });
    if (!is_gzip(bytes) && bytes.size() >= images_header) {
        const std::size_t rows = big_endian_at(bytes, 8), cols = big_endian_at(bytes, 12);
        if (rows != 28 || cols != 28)
            fuzzing::accepts([&] { check_images(io::load_idx_images(scratch.input, rows, cols), bytes, rows, cols); });
    }
    fuzzing::accepts([&] { check_dataset(io::load_fashion_mnist(scratch.labels_folder)); });
    fuzzing::accepts([&] { check_dataset(io::load_fashion_mnist(scratch.images_folder)); });
    return 0;
}
