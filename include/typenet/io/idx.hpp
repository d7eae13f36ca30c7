#pragma once
// Reading MNIST and Fashion-MNIST: IDX files of unsigned bytes, plain or
// gzip'd. The files come from downloads, so nothing in them is trusted:
// every count is checked against what the file can hold before memory is
// allocated for it, and every problem is a DataError that starts with the
// file's path.
#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <sys/stat.h>  // fstat
#include <zlib.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// Images row-major, one after the other; each byte b read as b / 255.0f.
struct Images {
    std::vector<float> pixels;
    std::size_t count = 0;
    std::size_t rows = 0;
    std::size_t cols = 0;
};

struct Dataset {
    Images train_images;
    std::vector<std::uint8_t> train_labels;
    Images test_images;
    std::vector<std::uint8_t> test_labels;
};

// The most bytes of payload read from one file, whatever its header says.
inline constexpr std::uint64_t max_idx_payload_bytes = std::uint64_t{1} << 31;

namespace detail {

// Deflate cannot expand its input by more than this factor, which bounds what
// a gzip file can hold without inflating it.
inline constexpr std::uint64_t max_deflate_ratio = 1032;

[[nodiscard]] inline DataError file_error(const std::filesystem::path& path, std::string_view problem) {
    return DataError(fmt::format("{}: {}", path.string(), problem));
}

// The bytes of a file, inflated on the way if it is gzip'd.
class FileBytes {
public:
    explicit FileBytes(std::filesystem::path path) : path_(std::move(path)) {
        file_.reset(std::fopen(path_.c_str(), "rb"));
        if (file_ == nullptr) {
            throw file_error(path_, "cannot open: " + std::generic_category().message(errno));
        }
        struct stat status {};
        if (::fstat(::fileno(file_.get()), &status) != 0) {
            throw file_error(path_, "cannot read its size: " + std::generic_category().message(errno));
        }
        if (!S_ISREG(status.st_mode)) {
            throw file_error(path_, "not a regular file");
        }
        size_ = static_cast<std::uint64_t>(status.st_size);
        if (size_ == 0) {
            throw file_error(path_, "the file is empty");
        }
        // gzip is recognised by its magic bytes, not by the file's name.
        std::array<unsigned char, 2> magic{};
        gzip_ = std::fread(magic.data(), 1, magic.size(), file_.get()) == magic.size() &&
                magic[0] == 0x1f && magic[1] == 0x8b;
        std::rewind(file_.get());
        if (gzip_) {
            input_.resize(std::size_t{1} << 16);
            // 16 + MAX_WBITS: expect a gzip header and trailer around the deflate data.
            if (const int result = inflateInit2(&stream_, 16 + MAX_WBITS); result != Z_OK) {
                throw file_error(path_, "cannot start inflating: " + zlib_message(result));
            }
        }
    }

    FileBytes(const FileBytes&) = delete;
    FileBytes& operator=(const FileBytes&) = delete;

    ~FileBytes() {
        if (gzip_) {
            inflateEnd(&stream_);
        }
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] bool gzip() const noexcept { return gzip_; }
    // The size of the file on disk, compressed or not.
    [[nodiscard]] std::uint64_t file_size() const noexcept { return size_; }

    // Fills `out` from the file; returns fewer bytes only at its end.
    std::size_t read(std::span<std::uint8_t> out) {
        return gzip_ ? inflate_into(out) : read_plain(out);
    }

    // Reads to the end and says how many bytes were left.
    std::uint64_t skip_rest() {
        std::array<std::uint8_t, 4096> scratch{};
        std::uint64_t skipped = 0;
        for (std::size_t got = read(scratch); got > 0; got = read(scratch)) {
            skipped += got;
        }
        return skipped;
    }

private:
    struct FileCloser {
        void operator()(std::FILE* file) const noexcept { std::fclose(file); }
    };

    std::size_t read_plain(std::span<std::uint8_t> out) {
        const std::size_t got = std::fread(out.data(), 1, out.size(), file_.get());
        if (got < out.size() && std::ferror(file_.get()) != 0) {
            throw file_error(path_, "cannot read: " + std::generic_category().message(errno));
        }
        return got;
    }

    // Refills the input buffer when inflate has used it up; false at the end of the file.
    bool has_input() {
        if (stream_.avail_in == 0) {
            stream_.next_in = input_.data();
            stream_.avail_in = static_cast<uInt>(read_plain(input_));
        }
        return stream_.avail_in > 0;
    }

    std::size_t inflate_into(std::span<std::uint8_t> out) {
        std::size_t produced = 0;
        while (produced < out.size() && !stream_ended_) {
            has_input();  // at the end of the file, inflate says Z_BUF_ERROR below
            const auto room = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, UINT_MAX));
            stream_.next_out = out.data() + produced;
            stream_.avail_out = room;
            const int result = inflate(&stream_, Z_NO_FLUSH);
            produced += room - stream_.avail_out;
            if (result == Z_STREAM_END) {
                // A gzip file may hold several members, read as one stream.
                if (has_input()) {
                    inflateReset(&stream_);
                    ended_a_member_ = true;
                } else {
                    stream_ended_ = true;
                }
            } else if (result == Z_BUF_ERROR) {
                // No progress possible although there is room: the input ran out.
                throw file_error(path_, "truncated gzip stream: the file ends in the middle of the "
                                        "compressed data (an incomplete download?)");
            } else if (result == Z_MEM_ERROR) {
                throw std::bad_alloc();
            } else if (result != Z_OK) {
                // Bad bytes where a further member should begin were appended to the file.
                const bool appended = ended_a_member_ && stream_.total_out == 0;
                throw file_error(path_, fmt::format("corrupt gzip data{}: {}",
                                                   appended ? " after the end of the gzip stream" : "",
                                                   zlib_message(result)));
            }
        }
        return produced;
    }

    [[nodiscard]] std::string zlib_message(int result) const {
        return stream_.msg != nullptr ? stream_.msg : zError(result);
    }

    std::filesystem::path path_;
    std::unique_ptr<std::FILE, FileCloser> file_;
    std::uint64_t size_ = 0;
    bool gzip_ = false;
    bool stream_ended_ = false;
    bool ended_a_member_ = false;
    z_stream stream_{};
    std::vector<std::uint8_t> input_;
};

// What a kind of IDX file looks like: its magic number (type 0x08, unsigned
// bytes, then the number of dimensions) and what its items are called.
struct IdxKind {
    std::uint32_t magic;
    std::string_view items;

    [[nodiscard]] constexpr std::size_t dimensions() const { return magic & 0xff; }
    // The magic number and one 32-bit size per dimension.
    [[nodiscard]] constexpr std::size_t header_size() const { return 4 * (1 + dimensions()); }
};
inline constexpr IdxKind idx_images{0x00000803, "images"};
inline constexpr IdxKind idx_labels{0x00000801, "labels"};

[[nodiscard]] inline std::uint32_t big_endian(std::span<const std::uint8_t, 4> bytes) {
    return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
           std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
}

// Reads the magic number and the dimension sizes that follow it.
inline std::vector<std::uint32_t> read_idx_header(FileBytes& bytes, IdxKind kind) {
    std::vector<std::uint8_t> header(kind.header_size());
    const std::size_t got = bytes.read(header);
    if (got >= 4) {
        const std::uint32_t magic = big_endian(std::span(header).first<4>());
        if (magic != kind.magic) {
            const std::string_view looks_like = magic == idx_images.magic   ? " (that of an IDX image file)"
                                                : magic == idx_labels.magic ? " (that of an IDX label file)"
                                                                            : "";
            throw file_error(bytes.path(),
                             fmt::format("not an IDX file of {}: its magic number is {:#010x}{}, expected {:#010x}",
                                         kind.items, magic, looks_like, kind.magic));
        }
    }
    if (got < header.size()) {
        throw file_error(bytes.path(), fmt::format("truncated header: an IDX file of {} starts with {} "
                                                   "header bytes but the file holds only {}",
                                                   kind.items, header.size(), got));
    }
    std::vector<std::uint32_t> sizes(kind.dimensions());
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        sizes[i] = big_endian(std::span(header).subspan(4 * (i + 1)).first<4>());
    }
    if (sizes[0] == 0) {
        throw file_error(bytes.path(), fmt::format("the header says the file holds no {}", kind.items));
    }
    return sizes;
}

// Reads the `size` bytes after the header, which must be the rest of the
// file. `promised` says what the header promised, for the messages.
inline std::vector<std::uint8_t> read_idx_payload(FileBytes& bytes, IdxKind kind, std::uint64_t size,
                                                  std::string_view promised) {
    const std::uint64_t header_size = kind.header_size();
    const std::string promise = fmt::format("header promises {} ({} bytes)", promised, size);
    const auto truncated = [&](std::uint64_t found) {
        return file_error(bytes.path(),
                          fmt::format("truncated: {} but only {} bytes follow the header", promise, found));
    };
    // First what the file can hold, the likelier problem, then our own limit.
    if (!bytes.gzip() && size > bytes.file_size() - header_size) {
        throw truncated(bytes.file_size() - header_size);
    }
    if (bytes.gzip() && size > bytes.file_size() * max_deflate_ratio) {
        throw file_error(bytes.path(), fmt::format("truncated: {} but {} bytes of gzip cannot inflate to "
                                                   "more than {}",
                                                   promise, bytes.file_size(),
                                                   bytes.file_size() * max_deflate_ratio));
    }
    if (size > max_idx_payload_bytes) {
        throw file_error(bytes.path(), fmt::format("{}, more than the {} bytes typenet reads from one file",
                                                   promise, max_idx_payload_bytes));
    }
    std::vector<std::uint8_t> payload(static_cast<std::size_t>(size));
    const std::size_t got = bytes.read(payload);
    if (got < payload.size()) {
        throw truncated(got);
    }
    if (const std::uint64_t trailing = bytes.skip_rest(); trailing > 0) {
        throw file_error(bytes.path(), fmt::format("{} trailing bytes after the {} the header promises",
                                                   trailing, promised));
    }
    return payload;
}

inline std::filesystem::path find_dataset_file(const std::filesystem::path& directory, std::string_view name) {
    for (const std::string& candidate : {std::string(name) + ".gz", std::string(name)}) {
        if (std::filesystem::exists(directory / candidate)) {
            return directory / candidate;
        }
    }
    throw file_error(directory, fmt::format("neither {0}.gz nor {0} is there", name));
}

inline void check_labels(const std::filesystem::path& labels_path, const std::vector<std::uint8_t>& labels,
                         const std::filesystem::path& images_path, const Images& images) {
    if (labels.size() != images.count) {
        throw file_error(labels_path, fmt::format("holds {} labels but {} holds {} images", labels.size(),
                                                  images_path.string(), images.count));
    }
    const auto wrong = std::find_if(labels.begin(), labels.end(), [](std::uint8_t label) { return label > 9; });
    if (wrong != labels.end()) {
        throw file_error(labels_path, fmt::format("label {} at index {} is not a class from 0 to 9", *wrong,
                                                  wrong - labels.begin()));
    }
}

}  // namespace detail

// `rows` x `cols` is the size the caller can take (a network compiled for
// 28x28 cannot take anything else), so a file of other images is an error.
inline Images load_idx_images(const std::filesystem::path& file, std::size_t rows, std::size_t cols) {
    // One image above the payload limit could never load; ruling that out
    // also keeps count * rows * cols below 2^63.
    if (rows == 0 || cols == 0 || cols > max_idx_payload_bytes / rows) {
        throw UsageError(fmt::format("load_idx_images({}): images of {}x{} cannot be loaded", file.string(),
                                     rows, cols));
    }
    detail::FileBytes bytes(file);
    const std::vector<std::uint32_t> sizes = detail::read_idx_header(bytes, detail::idx_images);
    if (sizes[1] != rows || sizes[2] != cols) {
        throw detail::file_error(file, fmt::format("images are {}x{} but {}x{} are expected", sizes[1], sizes[2],
                                                   rows, cols));
    }
    const std::uint64_t size = std::uint64_t{sizes[0]} * rows * cols;
    const std::vector<std::uint8_t> payload = detail::read_idx_payload(
        bytes, detail::idx_images, size, fmt::format("{} images of {}x{}", sizes[0], rows, cols));

    Images images{.pixels = std::vector<float>(payload.size()), .count = sizes[0], .rows = rows, .cols = cols};
    std::transform(payload.begin(), payload.end(), images.pixels.begin(),
                   [](std::uint8_t byte) { return static_cast<float>(byte) / 255.0f; });
    return images;
}

inline std::vector<std::uint8_t> load_idx_labels(const std::filesystem::path& file) {
    detail::FileBytes bytes(file);
    const std::uint32_t count = detail::read_idx_header(bytes, detail::idx_labels)[0];
    return detail::read_idx_payload(bytes, detail::idx_labels, count, fmt::format("{} labels", count));
}

// Loads the four Fashion-MNIST (or MNIST) files from `directory`, each gzip'd
// or not, and checks that labels match images and name one of the 10 classes.
inline Dataset load_fashion_mnist(const std::filesystem::path& directory, std::size_t rows = 28,
                                  std::size_t cols = 28) {
    if (!std::filesystem::is_directory(directory)) {
        throw detail::file_error(directory, std::filesystem::exists(directory) ? "not a directory"
                                                                                : "no such directory");
    }
    Dataset dataset;
    const auto load = [&](std::string_view images_name, std::string_view labels_name, Images& images,
                          std::vector<std::uint8_t>& labels) {
        const std::filesystem::path images_path = detail::find_dataset_file(directory, images_name);
        const std::filesystem::path labels_path = detail::find_dataset_file(directory, labels_name);
        images = load_idx_images(images_path, rows, cols);
        labels = load_idx_labels(labels_path);
        detail::check_labels(labels_path, labels, images_path, images);
    };
    load("train-images-idx3-ubyte", "train-labels-idx1-ubyte", dataset.train_images, dataset.train_labels);
    load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", dataset.test_images, dataset.test_labels);
    return dataset;
}

}  // namespace typenet::io
