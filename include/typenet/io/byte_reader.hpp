#pragma once
// Reading little-endian fields from bytes that may be anything (a damaged
// file, a fuzzer's input): every read is checked against what is left, so a
// length field can never make a read run past the end or allocate more than
// the bytes at hand, and every failure is a DataError naming the source.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// "<name>: <problem>", as every typenet::io error reads.
[[nodiscard]] inline DataError data_error(std::string_view name, std::string_view problem) {
    return DataError(fmt::format("{}: {}", name, problem));
}

// Bytes from a file as they may be quoted in a message: printable ASCII as
// it is, anything else as \xNN, so a damaged name cannot garble the terminal.
inline std::string printable(std::string_view bytes) {
    std::string text;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '\\') text += c;
        else text += fmt::format("\\x{:02x}", byte);
    }
    return text;
}

template <class UInt>
[[nodiscard]] constexpr UInt load_little_endian(const unsigned char* bytes) {
    UInt value = 0;
    for (std::size_t i = 0; i < sizeof(UInt); ++i) value |= static_cast<UInt>(bytes[i]) << (8 * i);
    return value;
}

class ByteReader {
public:
    // `name` (a path, "fuzz input") starts every message.
    ByteReader(std::span<const unsigned char> bytes, std::string_view name) : bytes_(bytes), name_(name) {}

    [[nodiscard]] std::size_t offset() const { return offset_; }
    [[nodiscard]] std::size_t remaining() const { return bytes_.size() - offset_; }

    // The next `count` bytes; `what` says what they are, for the message when they are not there.
    std::span<const unsigned char> take(std::uint64_t count, std::string_view what) {
        if (count > remaining()) {
            throw error(fmt::format("malformed: {} ({} bytes at byte {}) runs past the end of the contents "
                                    "({} bytes)",
                                    what, count, offset_, bytes_.size()));
        }
        const auto taken = bytes_.subspan(offset_, static_cast<std::size_t>(count));
        offset_ += taken.size();
        return taken;
    }

    std::uint32_t u32(std::string_view what) { return load_little_endian<std::uint32_t>(take(4, what).data()); }
    std::uint64_t u64(std::string_view what) { return load_little_endian<std::uint64_t>(take(8, what).data()); }

    std::string_view text(std::uint64_t length, std::string_view what) {
        const auto bytes = take(length, what);
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }

    [[nodiscard]] DataError error(std::string_view problem) const { return data_error(name_, problem); }

private:
    std::span<const unsigned char> bytes_;
    std::string_view name_;
    std::size_t offset_ = 0;
};

}  // namespace typenet::io
