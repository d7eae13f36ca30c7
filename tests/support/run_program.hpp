#pragma once
// Running the sample programs from tests: a program and its arguments, no
// shell between them (so paths with spaces or quotes stay one argument),
// stdout and stderr captured apart, and the exit code. Also the scratch
// folders those runs read and write.
#include <fcntl.h>  // O_CLOEXEC
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

extern char** environ;

namespace typenet::testing {

struct ProgramResult {
    std::string command;  // for messages only: the program and its arguments, space-separated
    int exit_code = -1;   // -1 when the program did not exit by itself (a signal, or the timeout)
    int signal = 0;       // the signal that ended it, if one did
    bool timed_out = false;
    std::string out;
    std::string err;
};

// So that `EXPECT_EQ(result.exit_code, 2) << result;` shows everything the program said.
inline std::ostream& operator<<(std::ostream& stream, const ProgramResult& result) {
    stream << "command: " << result.command << "\nexit code: " << result.exit_code;
    if (result.signal != 0) stream << " (ended by signal " << result.signal << ')';
    if (result.timed_out) stream << " (killed: timed out)";
    return stream << "\n--- stdout ---\n" << result.out << "\n--- stderr ---\n" << result.err << "\n---";
}

// The lines of a program's output, without their '\n'; a last line without
// one counts too.
inline std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        lines.emplace_back(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    return lines;
}

namespace detail {

[[noreturn]] inline void throw_system_error(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

// A pipe whose ends close themselves, and are not inherited by the child
// unless posix_spawn's file actions dup2 them onto its stdout or stderr.
class Pipe {
public:
    Pipe() {
        if (::pipe2(ends_.data(), O_CLOEXEC) != 0) throw_system_error(errno, "pipe2");
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() {
        close_read();
        close_write();
    }
    [[nodiscard]] int read_end() const noexcept { return ends_[0]; }
    [[nodiscard]] int write_end() const noexcept { return ends_[1]; }
    void close_read() noexcept { close(ends_[0]); }
    void close_write() noexcept { close(ends_[1]); }

private:
    static void close(int& fd) noexcept {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    std::array<int, 2> ends_{-1, -1};
};

class SpawnActions {
public:
    SpawnActions() { check(posix_spawn_file_actions_init(&actions_), "posix_spawn_file_actions_init"); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }

    void read_from_null(int fd) {
        check(posix_spawn_file_actions_addopen(&actions_, fd, "/dev/null", O_RDONLY, 0),
              "posix_spawn_file_actions_addopen");
    }
    void redirect(int from, int to) {
        check(posix_spawn_file_actions_adddup2(&actions_, from, to), "posix_spawn_file_actions_adddup2");
    }
    [[nodiscard]] const posix_spawn_file_actions_t* get() const noexcept { return &actions_; }

private:
    static void check(int error, const char* what) {
        if (error != 0) throw_system_error(error, what);
    }
    posix_spawn_file_actions_t actions_{};
};

}  // namespace detail

// Runs `program` with `arguments` and waits for it; stdin is /dev/null. A
// program still running after `timeout` is killed, so that a hang fails one
// test instead of stalling the suite.
inline ProgramResult run_program(const std::filesystem::path& program, const std::vector<std::string>& arguments,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    ProgramResult result;
    result.command = program.string();
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const std::string& argument : arguments) {
        result.command += ' ' + argument;
        argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);

    detail::Pipe out, err;
    detail::SpawnActions actions;
    actions.read_from_null(STDIN_FILENO);
    actions.redirect(out.write_end(), STDOUT_FILENO);
    actions.redirect(err.write_end(), STDERR_FILENO);
    pid_t pid = 0;
    if (const int error = posix_spawn(&pid, program.c_str(), actions.get(), nullptr, argv.data(), environ);
        error != 0) {
        detail::throw_system_error(error, "posix_spawn " + program.string());
    }
    // Only the child holds the write ends now, so the reads below end when it does.
    out.close_write();
    err.close_write();

    // Both pipes are drained together: a child filling one while we wait on
    // the other would block for ever.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> fds{pollfd{out.read_end(), POLLIN, 0}, pollfd{err.read_end(), POLLIN, 0}};
    std::array<std::string*, 2> texts{&result.out, &result.err};
    std::array<char, 4096> buffer{};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            result.timed_out = true;
            break;
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) detail::throw_system_error(errno, "poll");
        for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t got = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (got > 0) {
                texts[i]->append(buffer.data(), static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                fds[i].fd = -1;  // poll ignores negative descriptors; the Pipe closes the real one
            }
        }
    }

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) detail::throw_system_error(errno, "waitpid");
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

// A fresh folder under the system's temporary folder, removed with everything
// in it when this object goes. `prefix` may hold spaces, to check that the
// programs quote nothing wrongly.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "typenet test ") {
        std::string name = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
        if (::mkdtemp(name.data()) == nullptr) detail::throw_system_error(errno, "mkdtemp " + name);
        path_ = name;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;  // a destructor must not throw; a leftover temp folder is harmless
        std::filesystem::remove_all(path_, ignored);
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace typenet::testing
