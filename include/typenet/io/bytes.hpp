#pragma once
// Little-endian fields in bytes. Reading, from bytes that may be anything (a
// damaged file, a fuzzer's input): every read is checked against what is
// left, so a length field can never make a read run past the end or allocate
// more than the bytes at hand, and every failure is a DataError naming the
// source. Writing, into a buffer that becomes a file's contents.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/messages.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

template <class UInt>
[[nodiscard]] constexpr UInt load_little_endian(const unsigned char* bytes) {
    UInt value = 0;
    for (std::size_t i = 0; i < sizeof(UInt); ++i) value |= static_cast<UInt>(bytes[i]) << (8 * i);
    return value;
}

[[nodiscard]] inline float load_little_endian_float(const unsigned char* bytes) {
    return std::bit_cast<float>(load_little_endian<std::uint32_t>(bytes));
}

template <class UInt>
[[nodiscard]] constexpr std::array<unsigned char, sizeof(UInt)> little_endian_bytes(UInt value) {
    std::array<unsigned char, sizeof(UInt)> bytes{};
    for (std::size_t i = 0; i < sizeof(UInt); ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
    return bytes;
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

class ByteWriter {
public:
    explicit ByteWriter(std::size_t capacity) { bytes_.reserve(capacity); }
    void raw(std::span<const unsigned char> bytes) { bytes_.insert(bytes_.end(), bytes.begin(), bytes.end()); }
    void u32(std::uint32_t value) { raw(little_endian_bytes(value)); }
    void u64(std::uint64_t value) { raw(little_endian_bytes(value)); }
    // A u32 length, then the text.
    void text(std::string_view text) {
        u32(static_cast<std::uint32_t>(text.size()));
        raw({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
    }
    void floats(std::span<const float> values) {
        for (const float value : values) u32(std::bit_cast<std::uint32_t>(value));
    }
    // Overwrites a field written earlier (a size known only at the end).
    void patch_u64(std::size_t offset, std::uint64_t value) {
        std::ranges::copy(little_endian_bytes(value), bytes_.begin() + static_cast<std::ptrdiff_t>(offset));
    }
    std::vector<unsigned char>& bytes() { return bytes_; }

private:
    std::vector<unsigned char> bytes_;
};

}  // namespace typenet::io
