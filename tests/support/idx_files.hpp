#pragma once
// IDX files for tests: built from bytes, written plain or gzip'd, and a small
// Fashion-MNIST folder: the first images of the real files when they are
// installed, made-up images otherwise, so that the tests run anywhere.
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace typenet::testing {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint32_t idx_images_magic = 0x00000803;  // unsigned bytes, 3 dimensions
inline constexpr std::uint32_t idx_labels_magic = 0x00000801;  // unsigned bytes, 1 dimension

// A magic number, one 32-bit big-endian size per dimension, then the payload as given:
// the sizes are not checked against it, so that tests can build broken files too.
inline Bytes idx_file(std::uint32_t magic, std::initializer_list<std::uint32_t> sizes,
                      std::span<const std::uint8_t> payload) {
    Bytes bytes;
    const auto append = [&bytes](std::uint32_t word) {
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(word >> shift));
    };
    append(magic);
    for (const std::uint32_t size : sizes) append(size);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

inline Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols,
                        std::span<const std::uint8_t> pixels) {
    return idx_file(idx_images_magic, {count, rows, cols}, pixels);
}

inline Bytes idx_labels(std::uint32_t count, std::span<const std::uint8_t> labels) {
    return idx_file(idx_labels_magic, {count}, labels);
}

// The gzip file (one member, default compression) that inflates to `bytes`.
inline Bytes gzip(std::span<const std::uint8_t> bytes) {
    z_stream stream{};
    // 16 + MAX_WBITS: a gzip header and trailer around the deflate data.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("gzip: deflateInit2 failed");
    }
    if (bytes.size() > UINT_MAX) throw std::length_error("gzip: more than one call to deflate can take");
    Bytes compressed(deflateBound(&stream, static_cast<uLong>(bytes.size())));
    stream.next_in = const_cast<Bytef*>(bytes.data());
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = compressed.data();
    stream.avail_out = static_cast<uInt>(compressed.size());
    const int result = deflate(&stream, Z_FINISH);
    compressed.resize(stream.total_out);
    deflateEnd(&stream);
    if (result != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
    return compressed;
}

inline void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!file.flush()) throw std::runtime_error("cannot write " + path.string());
}

inline Bytes read_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error("cannot open " + path.string());
    return Bytes(std::istreambuf_iterator<char>(file), {});
}

// Up to `size` bytes from the start of a file, inflated if it is gzip'd;
// fewer if the file holds fewer, nothing if it cannot be read.
inline Bytes read_inflated_prefix(const std::filesystem::path& path, std::size_t size) {
    Bytes bytes(size);
    gzFile file = gzopen(path.c_str(), "rb");  // zlib reads a plain file through as it is
    if (file == nullptr) return {};
    std::size_t got = 0;
    while (got < size) {
        const auto chunk = static_cast<unsigned>(std::min<std::size_t>(size - got, 1u << 30));
        const int read = gzread(file, bytes.data() + got, chunk);
        if (read <= 0) break;
        got += static_cast<std::size_t>(read);
    }
    gzclose(file);
    bytes.resize(got);
    return bytes;
}

enum class Compression { plain, gzip };

// The four files a Fashion-MNIST folder holds, without the ".gz" of the gzip'd ones.
inline constexpr std::string_view train_images_file = "train-images-idx3-ubyte";
inline constexpr std::string_view train_labels_file = "train-labels-idx1-ubyte";
inline constexpr std::string_view test_images_file = "t10k-images-idx3-ubyte";
inline constexpr std::string_view test_labels_file = "t10k-labels-idx1-ubyte";

inline const std::filesystem::path installed_fashion_mnist = "/usr/share/datasets/fashion-mnist";
inline constexpr std::size_t fashion_mnist_image_size = 28 * 28;

// The payloads of the four files: 28x28 bytes an image, one byte a label (0 to 9).
struct FashionMnist {
    Bytes train_images;
    Bytes train_labels;
    Bytes test_images;
    Bytes test_labels;
    std::string source;  // where the images came from, for messages

    [[nodiscard]] std::uint32_t train_count() const { return static_cast<std::uint32_t>(train_labels.size()); }
    [[nodiscard]] std::uint32_t test_count() const { return static_cast<std::uint32_t>(test_labels.size()); }
};

namespace detail {

[[nodiscard]] inline std::uint32_t big_endian_at(const Bytes& bytes, std::size_t offset) {
    return std::uint32_t{bytes[offset]} << 24 | std::uint32_t{bytes[offset + 1]} << 16 |
           std::uint32_t{bytes[offset + 2]} << 8 | std::uint32_t{bytes[offset + 3]};
}

// The payload of the first `count` items of an installed IDX file, gzip'd or
// not; nothing if the file is missing, is not of that kind, or holds fewer.
inline std::optional<Bytes> first_items(const std::filesystem::path& folder, std::string_view name,
                                        std::uint32_t magic, std::size_t item_size, std::size_t count) {
    for (const std::string& file : {std::string(name) + ".gz", std::string(name)}) {
        if (!std::filesystem::is_regular_file(folder / file)) continue;
        const std::size_t dimensions = magic & 0xff, header_size = 4 * (1 + dimensions);
        Bytes bytes = read_inflated_prefix(folder / file, header_size + count * item_size);
        if (bytes.size() < header_size + count * item_size || big_endian_at(bytes, 0) != magic ||
            big_endian_at(bytes, 4) < count) {
            return std::nullopt;
        }
        std::size_t file_item_size = 1;
        for (std::size_t d = 1; d < dimensions; ++d) file_item_size *= big_endian_at(bytes, 4 * (1 + d));
        if (file_item_size != item_size) return std::nullopt;
        bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header_size));
        return bytes;
    }
    return std::nullopt;
}

// Images an autoencoder can learn: per class a bright bar at its own place
// and slant, over faint noise.
inline void append_synthetic(Bytes& images, Bytes& labels, std::size_t count, std::mt19937& random) {
    std::uniform_int_distribution<int> noise(0, 40), shift(-2, 2);
    for (std::size_t i = 0; i < count; ++i) {
        const int label = static_cast<int>(random() % 10);
        const int column = 4 + 2 * label + shift(random), slant = label % 3 - 1;
        labels.push_back(static_cast<std::uint8_t>(label));
        for (int row = 0; row < 28; ++row) {
            for (int col = 0; col < 28; ++col) {
                const int distance = std::abs(col - column - slant * (row - 14) / 4);
                const int value = distance <= 2 ? 255 - 40 * distance : noise(random);
                images.push_back(static_cast<std::uint8_t>(value));
            }
        }
    }
}

}  // namespace detail

inline FashionMnist synthetic_fashion_mnist(std::size_t train_count, std::size_t test_count,
                                            std::uint32_t seed = 1) {
    std::mt19937 random(seed);
    FashionMnist data;
    detail::append_synthetic(data.train_images, data.train_labels, train_count, random);
    detail::append_synthetic(data.test_images, data.test_labels, test_count, random);
    data.source = "synthetic";
    return data;
}

// The first images of each file of the installed data set if it is there
// (only those bytes are inflated, so this is quick), synthetic ones otherwise.
inline FashionMnist small_fashion_mnist(std::size_t train_count, std::size_t test_count,
                                        const std::filesystem::path& installed = installed_fashion_mnist) {
    using detail::first_items;
    auto train_images = first_items(installed, train_images_file, idx_images_magic, fashion_mnist_image_size, train_count);
    auto train_labels = first_items(installed, train_labels_file, idx_labels_magic, 1, train_count);
    auto test_images = first_items(installed, test_images_file, idx_images_magic, fashion_mnist_image_size, test_count);
    auto test_labels = first_items(installed, test_labels_file, idx_labels_magic, 1, test_count);
    if (!train_images || !train_labels || !test_images || !test_labels) {
        return synthetic_fashion_mnist(train_count, test_count);
    }
    return FashionMnist{.train_images = std::move(*train_images),
                        .train_labels = std::move(*train_labels),
                        .test_images = std::move(*test_images),
                        .test_labels = std::move(*test_labels),
                        .source = installed.string()};
}

// The path of one of the four files in `folder`, as written with `compression`.
inline std::filesystem::path fashion_mnist_path(const std::filesystem::path& folder, std::string_view file,
                                                Compression compression) {
    return folder / (std::string(file) + (compression == Compression::gzip ? ".gz" : ""));
}

// Writes the four files into `folder`, making it if needed.
inline void write_fashion_mnist(const std::filesystem::path& folder, const FashionMnist& data,
                                Compression compression) {
    std::filesystem::create_directories(folder);
    const auto write = [&](std::string_view file, const Bytes& bytes) {
        write_file(fashion_mnist_path(folder, file, compression),
                   compression == Compression::gzip ? gzip(bytes) : bytes);
    };
    write(train_images_file, idx_images(data.train_count(), 28, 28, data.train_images));
    write(train_labels_file, idx_labels(data.train_count(), data.train_labels));
    write(test_images_file, idx_images(data.test_count(), 28, 28, data.test_images));
    write(test_labels_file, idx_labels(data.test_count(), data.test_labels));
}

}  // namespace typenet::testing
