#pragma once
// Writing a file so that whoever reads it sees the old contents or the new,
// never a half-written mix, even after a power loss: the bytes go to a
// temporary file beside the file they replace, reach the disk, and only then
// replace it with one rename, whose directory entry is flushed to disk too.
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>     // open
#include <fmt/format.h>
#include <sys/stat.h>  // fchmod, stat
#include <unistd.h>    // close, fsync

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/random.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

class AtomicFile {
public:
    // Creates the temporary file in the directory of the file to replace:
    // rename replaces a file atomically only within one file system.
    explicit AtomicFile(std::filesystem::path final_path)
        : final_path_(std::move(final_path)), target_path_(follow_links(final_path_)) {
        const int descriptor = create_temporary();
        if (descriptor == -1) {
            throw failure(target_path_ == final_path_
                              ? std::string("cannot create a temporary file beside it")
                              : fmt::format("cannot create a temporary file beside {}, where the symbolic link points",
                                            target_path_.string()),
                          errno);
        }
        // A new file has the mode open gave it, 0666 less the umask (or what
        // the directory's default ACL says); a replaced file keeps its own.
        struct stat existing {};
        if (::stat(target_path_.c_str(), &existing) != 0 || ::fchmod(descriptor, existing.st_mode & 07777) == 0) {
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
        std::filesystem::rename(temporary_path_, target_path_, error);
        if (error) {
            throw failure(fmt::format("cannot rename {} onto {}", temporary_path_.string(),
                                      target_path_ == final_path_ ? std::string("it") : target_path_.string()),
                          error.value());
        }
        committed_ = true;
        flush_directory();
    }

private:
    // Linux follows at most this many links in a path (MAXSYMLINKS).
    static constexpr int max_symbolic_links = 40;

    // The file to replace. A symbolic link is followed to the file it names,
    // which is replaced while the link stays a link, as editors and most
    // tools do: renaming onto the link itself would turn it into a regular
    // file and leave its target old. A dangling link names the file to
    // create. Only the last component is followed here: rename follows the
    // links among the directories above it by itself.
    [[nodiscard]] std::filesystem::path follow_links(const std::filesystem::path& path) const {
        std::filesystem::path target = path;
        for (int links = 0;; ++links) {
            std::error_code error;
            if (std::filesystem::symlink_status(target, error).type() != std::filesystem::file_type::symlink) {
                return target;  // an error here is reported by the open or rename that follows
            }
            if (links == max_symbolic_links) {
                throw failure("cannot follow its symbolic links", ELOOP);
            }
            const std::filesystem::path next = std::filesystem::read_symlink(target, error);
            if (error) {
                throw failure("cannot read the symbolic link " + target.string(), error.value());
            }
            target = next.is_absolute() ? next : target.parent_path() / next;
        }
    }

    [[nodiscard]] std::filesystem::path directory() const {
        const std::filesystem::path parent = target_path_.parent_path();
        return parent.empty() ? std::filesystem::path(".") : parent;
    }

    // A short name of fixed length, so that it is legal beside any legal
    // name (NAME_MAX is 255 bytes), created with O_EXCL so that the kernel
    // applies the umask: reading the umask would mean setting it, for a
    // moment, for every thread of the process.
    int create_temporary() {
        constexpr std::string_view letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        // Not std::mt19937_64: a standard-library template is compiled into
        // each unit with its own -march under one name (instruction_set.hpp),
        // and GCC vectorizes that one; Random lives in typenet's namespace.
        thread_local Random generator{std::random_device{}()};
        for (int attempt = 0; attempt < 100; ++attempt) {
            std::string name = ".typenet-";
            for (int i = 0; i < 8; ++i) name += letters[generator.below(letters.size())];
            temporary_path_ = directory() / name;
            const int descriptor = ::open(temporary_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (descriptor != -1 || errno != EEXIST) {
                return descriptor;
            }
        }
        return -1;  // errno is EEXIST
    }

    // The rename changed the directory, not the file: until the directory
    // too reaches the disk, a power loss can bring back the old file (or, for
    // a new one, no file). A file system that cannot sync directories
    // (EINVAL) orders the rename by itself.
    void flush_directory() const {
        const int descriptor = ::open(directory().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (descriptor == -1 || (::fsync(descriptor) != 0 && errno != EINVAL)) {
            const int reason = errno;
            if (descriptor != -1) {
                ::close(descriptor);
            }
            throw failure("written, but cannot flush its directory " + directory().string() + " to disk", reason);
        }
        ::close(descriptor);
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
    std::filesystem::path target_path_;  // final_path_ with its symbolic links followed
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
