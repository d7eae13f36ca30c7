#pragma once
// Writing a file so that whoever reads it sees the old contents or the new,
// never a half-written mix: the bytes go to a temporary file next to the
// final one, reach the disk, and only then replace it with one rename.
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <stdlib.h>     // mkstemp
#include <sys/stat.h>   // fchmod, fstat, umask
#include <unistd.h>     // close, fsync

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

class AtomicFile {
public:
    // Creates `<name>.tmp-XXXXXX` in the directory of `final_path`: rename
    // replaces a file atomically only within one file system.
    explicit AtomicFile(std::filesystem::path final_path) : final_path_(std::move(final_path)) {
        std::string name = final_path_.native() + ".tmp-XXXXXX";
        const int descriptor = ::mkstemp(name.data());
        if (descriptor == -1) {
            throw failure("cannot create a temporary file beside it", errno);
        }
        temporary_path_ = name;
        if (::fchmod(descriptor, permissions_for(final_path_)) == 0) {
            file_ = ::fdopen(descriptor, "wb");
        }
        if (file_ == nullptr) {
            const int reason = errno;
            ::close(descriptor);
            remove_temporary();
            throw failure("cannot prepare the temporary file " + temporary_path_.string(), reason);
        }
    }

    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    ~AtomicFile() {
        if (file_ != nullptr) {
            std::fclose(file_);
        }
        if (!committed_) {
            remove_temporary();
        }
    }

    // Where to write the contents; nullptr once commit() has been called.
    [[nodiscard]] std::FILE* get() const noexcept { return file_; }

    // Makes the written contents the file at the final path. A failed write
    // through get() leaves the stream's error flag set, which is checked here,
    // so writers need not check every call.
    void commit() {
        if (file_ == nullptr) {
            throw UsageError(fmt::format("{}: AtomicFile::commit() may be called only once",
                                         final_path_.string()));
        }
        std::FILE* file = std::exchange(file_, nullptr);
        const std::string writing = "cannot write the temporary file " + temporary_path_.string();
        if (std::fflush(file) != 0) {
            close_and_throw(file, writing);
        }
        if (std::ferror(file) != 0) {
            std::fclose(file);
            throw failure(writing + ": an earlier write failed", 0);
        }
        // Without fsync the rename may reach the disk before the data, and a
        // crash would leave an empty or partial file under the final name.
        if (::fsync(::fileno(file)) != 0) {
            close_and_throw(file, "cannot flush the temporary file " + temporary_path_.string() + " to disk");
        }
        if (std::fclose(file) != 0) {
            throw failure(writing, errno);
        }
        std::error_code error;
        std::filesystem::rename(temporary_path_, final_path_, error);
        if (error) {
            throw DataError(fmt::format("{}: cannot rename {} onto it: {}", final_path_.string(),
                                        temporary_path_.string(), error.message()));
        }
        committed_ = true;
    }

private:
    // mkstemp makes files readable by their owner alone. The result should
    // keep the permissions of the file it replaces, or for a new file get
    // those fopen would give it (0666 less the umask).
    static mode_t permissions_for(const std::filesystem::path& path) {
        struct stat status {};
        if (::stat(path.c_str(), &status) == 0) {
            return status.st_mode & 07777;
        }
        return 0666 & ~process_umask();
    }

    // umask can only be read by setting it; do that once, so the moment in
    // which other threads would create files with no umask happens only once.
    static mode_t process_umask() {
        static const mode_t mask = [] {
            const mode_t current = ::umask(0);
            ::umask(current);
            return current;
        }();
        return mask;
    }

    // The message names the final path first, as every typenet::io error
    // does, then the step that failed and the OS's reason (errno 0: none).
    [[nodiscard]] DataError failure(std::string_view what, int os_error) const {
        if (os_error == 0) {
            return DataError(fmt::format("{}: {}", final_path_.string(), what));
        }
        return DataError(fmt::format("{}: {}: {}", final_path_.string(), what,
                                     std::generic_category().message(os_error)));
    }

    [[noreturn]] void close_and_throw(std::FILE* file, std::string_view what) const {
        const int reason = errno;
        std::fclose(file);
        throw failure(what, reason);
    }

    void remove_temporary() noexcept {
        std::error_code ignored;
        std::filesystem::remove(temporary_path_, ignored);
    }

    std::filesystem::path final_path_;
    std::filesystem::path temporary_path_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
};

inline void write_text_file_atomically(const std::filesystem::path& path, std::string_view contents) {
    AtomicFile file(path);
    std::fwrite(contents.data(), 1, contents.size(), file.get());
    file.commit();
}

}  // namespace typenet::io
