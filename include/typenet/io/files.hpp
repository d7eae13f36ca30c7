#pragma once
// Whole files as bytes, for the readers and writers that parse and encode in
// memory (model files, safetensors). Reading stops at a limit the caller
// sets from what the format can hold, so that a huge file is refused
// without being read; writing goes through AtomicFile, so that a file
// already at the path stays whole until the new one is.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/stat.h>  // fstat

#include "typenet/instruction_set.hpp"
#include "typenet/io/atomic_file.hpp"
#include "typenet/io/messages.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

namespace detail {

struct FileStart {
    std::vector<unsigned char> bytes;  // the first `limit` bytes, or all of them
    std::uint64_t size;
};

inline FileStart read_file_start(const std::filesystem::path& path, std::uint64_t limit) {
    const std::string name = path.string();
    struct Closer {
        void operator()(std::FILE* file) const noexcept { std::fclose(file); }
    };
    const std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
    if (file == nullptr) throw data_error(name, "cannot open: " + std::generic_category().message(errno));
    struct stat status {};
    if (::fstat(::fileno(file.get()), &status) != 0)
        throw data_error(name, "cannot read its size: " + std::generic_category().message(errno));
    if (!S_ISREG(status.st_mode)) throw data_error(name, "not a regular file");
    const auto size = static_cast<std::uint64_t>(status.st_size);
    std::vector<unsigned char> bytes(static_cast<std::size_t>(std::min(size, limit)));
    if (std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size())
        throw data_error(name, std::ferror(file.get()) != 0
                                   ? "cannot read: " + std::generic_category().message(errno)
                                   : std::string("cannot read: the file shrank while it was read"));
    return {std::move(bytes), size};
}

inline void write_file(const std::filesystem::path& path, std::span<const unsigned char> bytes) {
    AtomicFile file(path);
    std::fwrite(bytes.data(), 1, bytes.size(), file.get());
    file.commit();
}

}  // namespace detail

}  // namespace typenet::io
