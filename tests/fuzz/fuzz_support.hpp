#pragma once
// What the fuzz targets share: the documented way a reader refuses bytes, a
// scratch directory for the readers that take a path rather than bytes, and
// the repair of a model file's framing so that mutated files get past the
// checksum to the fields behind it.
#include <unistd.h>  // getpid

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "typenet/error.hpp"

namespace typenet::fuzzing {

using Bytes = std::vector<unsigned char>;

// A DataError or a UsageError is how a reader refuses bytes; anything else
// (another exception, a crash, a sanitizer report) escapes to libFuzzer,
// which reports it as a finding. Says whether the bytes were accepted.
template <class Read>
bool accepts(Read&& read) {
    try {
        read();
        return true;
    } catch (const DataError&) {
        return false;
    } catch (const UsageError&) {
        return false;
    }
}

// Aborts with `what` when an accepted input breaks a property the reader
// promises: libFuzzer then saves the input as a crash.
inline void require(bool holds, std::string_view what) {
    if (!holds) {
        std::fprintf(stderr, "typenet fuzz: property broken: %.*s\n", static_cast<int>(what.size()), what.data());
        std::abort();
    }
}

// The format version of an accepted model file or checkpoint: a reader
// accepts the first version too, which no writer writes any more, so an
// accepted version-1 file is checked by what it holds, not by its bytes.
inline bool is_version_1(std::span<const unsigned char> bytes) {
    return bytes.size() >= 12 && bytes[8] == 1 && bytes[9] == 0 && bytes[10] == 0 && bytes[11] == 0;
}

// A directory that only this process writes, removed when the process exits
// normally. It lies in TMPDIR (tools/run-fuzzers.sh points that into the
// build directory, so that a crashed run leaves nothing in /tmp).
class ScratchDirectory {
public:
    explicit ScratchDirectory(std::string_view target)
        : path_(std::filesystem::temp_directory_path() /
                ("typenet-fuzz-" + std::string(target) + "-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;
    ~ScratchDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, std::span<const unsigned char> bytes) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!file.flush()) {
        std::fprintf(stderr, "typenet fuzz: cannot write %s\n", path.c_str());
        std::abort();
    }
}

// A model file's size field (u64 at byte 16) and CRC-32 (its last 4 bytes,
// over all before them) set to what the bytes hold: a fuzzer would almost
// never get a mutated file past the checksum on its own. Nothing when the
// bytes are too short to hold both, or already hold them.
inline std::optional<Bytes> with_valid_framing(std::span<const unsigned char> bytes) {
    constexpr std::size_t size_field = 16, start = 24, checksum = 4;
    if (bytes.size() < start + checksum) return std::nullopt;
    Bytes fixed(bytes.begin(), bytes.end());
    for (std::size_t i = 0; i < 8; ++i)
        fixed[size_field + i] = static_cast<unsigned char>(std::uint64_t{fixed.size()} >> (8 * i));
    const std::size_t end = fixed.size() - checksum;
    const auto crc = static_cast<std::uint32_t>(::crc32(0, fixed.data(), static_cast<uInt>(end)));
    for (std::size_t i = 0; i < checksum; ++i) fixed[end + i] = static_cast<unsigned char>(crc >> (8 * i));
    if (std::equal(fixed.begin(), fixed.end(), bytes.begin())) return std::nullopt;
    return fixed;
}

}  // namespace typenet::fuzzing
