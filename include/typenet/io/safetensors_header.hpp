#pragma once
// The safetensors format without any model: the 8-byte little-endian header
// length N, N bytes of JSON
//   {"__metadata__": {"format": "pt"},
//    "encoder.0.weight": {"dtype": "F32", "shape": [64, 784], "data_offsets": [0, 200704]}, ...}
// then the tensors' bytes, row-major and little-endian, at those offsets from
// the end of the header. Writing encodes float32 tensors, and int64 ones of
// whole numbers (PyTorch keeps a count so); reading parses the header with a
// small parser that accepts exactly that structure and nothing else, and checks that the tensors' bytes tile the data as the safetensors
// library requires. What the tensors mean is io/safetensors.hpp's business.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/bytes.hpp"
#include "typenet/io/messages.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// The largest header a reader believes, as in the safetensors library itself.
inline constexpr std::uint64_t max_safetensors_header_bytes = 100'000'000;

namespace detail {

// A tensor to write, row-major: float32, or int64 when the values are whole
// numbers (each converted exactly; the caller checks they are).
struct TensorToWrite {
    std::string_view name;
    std::span<const std::size_t> shape;
    std::span<const float> values;
    bool as_int64 = false;
};

inline void append_json_string(std::string& json, std::string_view text) {
    json += '"';
    for (const char c : text) {
        if (c == '"' || c == '\\') json += {'\\', c};
        else if (static_cast<unsigned char>(c) < 0x20) json += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        else json += c;
    }
    json += '"';
}

// As Rust's str::from_utf8 decides, with which the safetensors library reads
// a header: no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool is_utf8(std::string_view text) {
    const auto byte = [&](std::size_t at) { return at < text.size() ? static_cast<unsigned char>(text[at]) : 0; };
    for (std::size_t at = 0; at < text.size();) {
        const unsigned char lead = byte(at);
        if (lead < 0x80) {
            ++at;
            continue;
        }
        // The second byte's range is narrower than 80..BF after the leads
        // where the rest would give an overlong form, a surrogate or too much.
        std::size_t length = 0;
        if (lead >= 0xC2 && lead <= 0xDF) length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) length = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) length = 4;
        const unsigned char low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
        const unsigned char high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
        if (length == 0 || byte(at + 1) < low || byte(at + 1) > high) return false;
        for (std::size_t next = 2; next < length; ++next)
            if ((byte(at + next) & 0xC0) != 0x80) return false;
        at += length;
    }
    return true;
}

// Refuses, before anything is written, a name a reader would refuse: a save
// must not replace a good file with one that cannot be read.
inline void check_tensor_name(std::string_view name) {
    if (name == "__metadata__")
        throw UsageError("typenet: a tensor cannot be named \"__metadata__\": safetensors keeps that key for the "
                         "file's metadata (typenet's reader and PyTorch's would refuse the file); rename the tensor");
    if (!is_utf8(name))
        throw UsageError(fmt::format("typenet: the tensor name \"{}\" is not valid UTF-8, as a safetensors header "
                                     "must be (PyTorch's reader would refuse the file)",
                                     printable(name)));
}

inline std::vector<unsigned char> encode_safetensors(
    std::span<const TensorToWrite> tensors, std::span<const std::pair<std::string_view, std::string_view>> metadata) {
    for (const TensorToWrite& tensor : tensors) check_tensor_name(tensor.name);
    std::string header = "{\"__metadata__\":{";
    for (std::size_t i = 0; i < metadata.size(); ++i) {
        if (i > 0) header += ',';
        append_json_string(header, metadata[i].first);
        header += ':';
        append_json_string(header, metadata[i].second);
    }
    header += '}';
    std::uint64_t offset = 0;
    for (const TensorToWrite& tensor : tensors) {
        const std::uint64_t end = offset + tensor.values.size() * (tensor.as_int64 ? 8 : 4);
        header += ',';
        append_json_string(header, tensor.name);
        header += fmt::format(":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                              tensor.as_int64 ? "I64" : "F32", fmt::join(tensor.shape, ","), offset, end);
        offset = end;
    }
    header += '}';
    // The data starts 8-byte aligned, as the safetensors library writes it,
    // so that a reader may map the file and use the floats in place.
    header.append((8 - header.size() % 8) % 8, ' ');
    ByteWriter writer(8 + header.size() + offset);
    writer.u64(header.size());
    writer.raw({reinterpret_cast<const unsigned char*>(header.data()), header.size()});
    for (const TensorToWrite& tensor : tensors) {
        if (!tensor.as_int64) {
            writer.floats(tensor.values);
            continue;
        }
        for (const float value : tensor.values)
            writer.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(value)));  // two's complement
    }
    return std::move(writer.bytes());
}

// One entry of a safetensors header; begin and end count from the start of the data.
struct SafetensorsEntry {
    std::string name;
    std::string dtype;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

struct SafetensorsContents {
    std::vector<SafetensorsEntry> tensors;
    std::map<std::string, std::string, std::less<>> metadata;
    std::span<const unsigned char> data;

    [[nodiscard]] std::vector<std::string> names() const {
        std::vector<std::string> names;
        for (const SafetensorsEntry& entry : tensors) names.push_back(entry.name);
        return names;
    }
};

// JSON restricted to what a safetensors header may hold: an object of tensor
// entries and at most one "__metadata__" object of strings. Nothing nests
// deeper than that, so the parser needs no recursion and no depth limit.
class SafetensorsHeaderParser {
public:
    // `first_byte`: where the JSON starts in the file, so messages give file offsets.
    SafetensorsHeaderParser(std::string_view json, std::string_view name, std::size_t first_byte)
        : json_(json), name_(name), first_byte_(first_byte) {}

    SafetensorsContents parse() {
        SafetensorsContents contents;
        bool has_metadata = false;
        members("the header", [&](std::string key) {
            if (key != "__metadata__") {
                contents.tensors.push_back(tensor(std::move(key)));
                return;
            }
            if (has_metadata) throw error("\"__metadata__\" appears twice");
            has_metadata = true;
            members("\"__metadata__\"", [&](std::string metadata_key) {
                std::string value = string("a metadata value");
                if (!contents.metadata.emplace(metadata_key, std::move(value)).second)
                    throw error(fmt::format("the metadata key \"{}\" appears twice", printable(metadata_key)));
            });
        });
        skip_whitespace();
        if (position_ != json_.size()) throw error("unexpected characters after the header's closing brace");
        std::vector<std::string> names = contents.names();
        std::ranges::sort(names);
        if (const auto twice = std::ranges::adjacent_find(names); twice != names.end())
            throw data_error(name_, fmt::format("malformed header: tensor \"{}\" appears twice", printable(*twice)));
        return contents;
    }

private:
    [[nodiscard]] DataError error(std::string_view problem) const {
        return data_error(name_, fmt::format("malformed header JSON at byte {}: {}", first_byte_ + position_, problem));
    }

    void skip_whitespace() {
        while (position_ < json_.size() &&
               (json_[position_] == ' ' || json_[position_] == '\t' || json_[position_] == '\n' ||
                json_[position_] == '\r'))
            ++position_;
    }

    std::string found() const {
        return position_ < json_.size() ? fmt::format("'{}'", printable(json_.substr(position_, 1)))
                                        : std::string("the end of the header");
    }

    bool consume(char c) {
        skip_whitespace();
        if (position_ < json_.size() && json_[position_] == c) {
            ++position_;
            return true;
        }
        return false;
    }

    void expect(char c, std::string_view where) {
        if (!consume(c)) throw error(fmt::format("expected '{}' {}, found {}", c, where, found()));
    }

    // '{' "key" ':' value (',' "key" ':' value)* '}', with member(key) reading each value.
    template <class Member>
    void members(std::string_view what, Member member) {
        expect('{', fmt::format("to open {}", what));
        if (consume('}')) return;
        do {
            std::string key = string(fmt::format("a key of {}", what));
            expect(':', fmt::format("after the key \"{}\"", printable(key)));
            member(std::move(key));
        } while (consume(','));
        expect('}', fmt::format("or ',' in {}", what));
    }

    std::string string(std::string_view what) {
        expect('"', fmt::format("to open {}", what));
        std::string text;
        while (true) {
            if (position_ == json_.size()) throw error(fmt::format("{} is not closed", what));
            const char c = json_[position_++];
            if (c == '"') return text;
            if (static_cast<unsigned char>(c) < 0x20)
                throw error(fmt::format("a control character (\\x{:02x}) in {}", static_cast<unsigned char>(c), what));
            if (c != '\\') {
                text += c;
                continue;
            }
            if (position_ == json_.size()) throw error(fmt::format("{} is not closed", what));
            switch (const char escaped = json_[position_++]) {
                case '"': case '\\': case '/': text += escaped; break;
                case 'b': text += '\b'; break;
                case 'f': text += '\f'; break;
                case 'n': text += '\n'; break;
                case 'r': text += '\r'; break;
                case 't': text += '\t'; break;
                case 'u': append_utf8(text, code_point(what)); break;
                default:
                    --position_;
                    throw error(fmt::format("an unknown escape \\{} in {}", printable({&escaped, 1}), what));
            }
        }
    }

    // After "\u": four hex digits, and a second \uXXXX when they are the first half of a surrogate pair.
    char32_t code_point(std::string_view what) {
        const char32_t first = hex4(what);
        if (first >= 0xDC00 && first <= 0xDFFF) throw error(fmt::format("a lone low surrogate in {}", what));
        if (first < 0xD800 || first > 0xDBFF) return first;
        if (json_.substr(position_, 2) != "\\u") throw error(fmt::format("a lone high surrogate in {}", what));
        position_ += 2;
        const char32_t second = hex4(what);
        if (second < 0xDC00 || second > 0xDFFF) throw error(fmt::format("a lone high surrogate in {}", what));
        return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
    }

    char32_t hex4(std::string_view what) {
        char32_t value = 0;
        for (int i = 0; i < 4; ++i, ++position_) {
            const char c = position_ < json_.size() ? json_[position_] : '\0';
            const int digit = c >= '0' && c <= '9' ? c - '0'
                              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
            if (digit < 0) throw error(fmt::format("\\u needs four hex digits in {}", what));
            value = value * 16 + static_cast<char32_t>(digit);
        }
        return value;
    }

    static void append_utf8(std::string& text, char32_t code) {
        const auto byte = [&](char32_t value) { text += static_cast<char>(value); };
        if (code < 0x80) {
            byte(code);
        } else if (code < 0x800) {
            byte(0xC0 | code >> 6), byte(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            byte(0xE0 | code >> 12), byte(0x80 | (code >> 6 & 0x3F)), byte(0x80 | (code & 0x3F));
        } else {
            byte(0xF0 | code >> 18), byte(0x80 | (code >> 12 & 0x3F)), byte(0x80 | (code >> 6 & 0x3F)),
                byte(0x80 | (code & 0x3F));
        }
    }

    // A whole number from 0 to 2^64 - 1, as JSON writes it: no sign, no leading zero, no fraction.
    std::uint64_t number(std::string_view what) {
        skip_whitespace();
        const std::size_t start = position_;
        std::uint64_t value = 0;
        while (position_ < json_.size() && json_[position_] >= '0' && json_[position_] <= '9') {
            const auto digit = static_cast<std::uint64_t>(json_[position_] - '0');
            if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
                throw error(fmt::format("{} does not fit in 64 bits", what));
            value = value * 10 + digit;
            ++position_;
        }
        if (position_ == start)
            throw error(fmt::format("expected {} (a whole number from 0), found {}", what, found()));
        if (json_[start] == '0' && position_ - start > 1) throw error(fmt::format("{} has a leading zero", what));
        if (position_ < json_.size() && (json_[position_] == '.' || json_[position_] == 'e' || json_[position_] == 'E'))
            throw error(fmt::format("{} is not a whole number", what));
        return value;
    }

    std::vector<std::uint64_t> numbers(std::string_view what) {
        expect('[', fmt::format("to open {}", what));
        std::vector<std::uint64_t> values;
        if (consume(']')) return values;
        do values.push_back(number(fmt::format("an element of {}", what)));
        while (consume(','));
        expect(']', fmt::format("or ',' in {}", what));
        return values;
    }

    SafetensorsEntry tensor(std::string name) {
        const std::string what = fmt::format("tensor \"{}\"", printable(name));
        SafetensorsEntry entry{std::move(name), {}, {}, 0, 0};
        bool has_dtype = false, has_shape = false, has_offsets = false;
        members(what, [&](std::string key) {
            const auto once = [&](bool& seen) {
                if (seen) throw error(fmt::format("{} has \"{}\" twice", what, key));
                seen = true;
            };
            if (key == "dtype") {
                once(has_dtype);
                entry.dtype = string(fmt::format("the dtype of {}", what));
            } else if (key == "shape") {
                once(has_shape);
                entry.shape = numbers(fmt::format("the shape of {}", what));
            } else if (key == "data_offsets") {
                once(has_offsets);
                const std::vector<std::uint64_t> offsets = numbers(fmt::format("the data_offsets of {}", what));
                if (offsets.size() != 2)
                    throw error(fmt::format("the data_offsets of {} hold {} numbers, not 2 (begin, end)", what,
                                            offsets.size()));
                entry.begin = offsets[0];
                entry.end = offsets[1];
            } else {
                throw error(fmt::format("{} has the field \"{}\"; safetensors defines dtype, shape and data_offsets",
                                        what, printable(key)));
            }
        });
        const std::array<std::pair<bool, std::string_view>, 3> fields{
            {{has_dtype, "dtype"}, {has_shape, "shape"}, {has_offsets, "data_offsets"}}};
        for (const auto& [seen, field] : fields)
            if (!seen) throw error(fmt::format("{} has no \"{}\"", what, field));
        return entry;
    }

    std::string_view json_;
    std::string_view name_;
    std::size_t first_byte_;
    std::size_t position_ = 0;
};

// Bytes per element of each dtype safetensors defines; 0 for any other name.
inline std::uint64_t dtype_bytes(std::string_view dtype) {
    constexpr std::array<std::pair<std::string_view, std::uint64_t>, 15> sizes{{
        {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1},
        {"U16", 2}, {"I16", 2}, {"F16", 2}, {"BF16", 2},
        {"U32", 4}, {"I32", 4}, {"F32", 4},
        {"U64", 8}, {"I64", 8}, {"F64", 8},
    }};
    const auto found = std::ranges::find(sizes, dtype, &std::pair<std::string_view, std::uint64_t>::first);
    return found == sizes.end() ? 0 : found->second;
}

// The header parsed, and each tensor's bytes checked to lie inside the data,
// to match its shape and dtype, and (as the safetensors library requires)
// to tile the data: no overlap, no gap, nothing after the last.
inline SafetensorsContents parse_safetensors_contents(std::span<const unsigned char> bytes, std::string_view name) {
    if (bytes.size() < 8)
        throw data_error(name,
                         fmt::format("truncated: {} bytes, fewer than the 8 of the header's length", bytes.size()));
    const std::uint64_t header_bytes = load_little_endian<std::uint64_t>(bytes.data());
    if (header_bytes > max_safetensors_header_bytes)
        throw data_error(name, fmt::format("not a safetensors file: its first 8 bytes give a header of {} bytes, more "
                                           "than the {} a safetensors header may hold",
                                           header_bytes, max_safetensors_header_bytes));
    if (header_bytes > bytes.size() - 8)
        throw data_error(name, fmt::format("truncated: the header's length is {} bytes, but only {} follow",
                                           header_bytes, bytes.size() - 8));
    const std::string_view json(reinterpret_cast<const char*>(bytes.data() + 8), header_bytes);
    SafetensorsContents contents = SafetensorsHeaderParser(json, name, 8).parse();
    contents.data = bytes.subspan(8 + header_bytes);

    std::vector<const SafetensorsEntry*> by_offset;
    for (const SafetensorsEntry& entry : contents.tensors) {
        const std::uint64_t element_bytes = dtype_bytes(entry.dtype);
        if (element_bytes == 0)
            throw data_error(name, fmt::format("tensor {} has the dtype \"{}\", which safetensors does not define",
                                               printable(entry.name), printable(entry.dtype)));
        std::uint64_t size = element_bytes;
        for (const std::uint64_t dim : entry.shape) {
            if (dim != 0 && size > std::numeric_limits<std::uint64_t>::max() / dim)
                throw data_error(name, fmt::format("tensor {} has the shape {}, too large to address",
                                                   printable(entry.name), shape_text(entry.shape)));
            size *= dim;
        }
        if (entry.end < entry.begin || entry.end - entry.begin != size)
            throw data_error(name, fmt::format("tensor {}: a shape of {} in {} takes {} bytes, but its data_offsets "
                                               "are [{}, {}]",
                                               printable(entry.name), shape_text(entry.shape), entry.dtype, size,
                                               entry.begin, entry.end));
        if (entry.end > contents.data.size())
            throw data_error(name, fmt::format("truncated: the data_offsets of tensor {}, [{}, {}], run past the end "
                                               "of the data ({} bytes)",
                                               printable(entry.name), entry.begin, entry.end, contents.data.size()));
        by_offset.push_back(&entry);
    }
    std::ranges::sort(by_offset, {}, [](const SafetensorsEntry* entry) { return std::pair(entry->begin, entry->end); });
    std::uint64_t covered = 0;
    const SafetensorsEntry* previous = nullptr;
    for (const SafetensorsEntry* entry : by_offset) {
        if (entry->begin < covered)
            throw data_error(name, fmt::format("tensors {} (data bytes {} to {}) and {} ({} to {}) overlap",
                                               printable(previous->name), previous->begin, previous->end,
                                               printable(entry->name), entry->begin, entry->end));
        if (entry->begin > covered)
            throw data_error(name, fmt::format("data bytes {} to {} belong to no tensor", covered, entry->begin));
        covered = entry->end;
        previous = entry;
    }
    if (covered != contents.data.size())
        throw data_error(name, fmt::format("{} bytes after the last tensor's data belong to no tensor",
                                           contents.data.size() - covered));
    return contents;
}

}  // namespace detail

}  // namespace typenet::io
