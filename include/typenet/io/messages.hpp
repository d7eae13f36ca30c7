#pragma once
// How typenet::io's errors read: "<name>: <problem>", where the name is a
// path or what the caller called the bytes ("fuzz input"), anything quoted
// from the file made printable, and shapes written as (a,b,c).
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

namespace detail {

inline std::string shape_text(std::span<const std::uint64_t> dims) {
    std::string text;
    for (const std::uint64_t dim : dims) text += fmt::format("{}{}", text.empty() ? "" : ",", dim);
    return "(" + text + ")";
}

}  // namespace detail

}  // namespace typenet::io
