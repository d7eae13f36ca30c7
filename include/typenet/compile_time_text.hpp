#pragma once
// Text written at compile time by the same code twice: once into a counter
// for its length, then into an array of exactly that length. Layers use it to
// describe their settings, io to write a model's architecture.
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct TextLength {
    std::size_t size = 0;
    constexpr void append(std::string_view text) { size += text.size(); }
};

template <std::size_t Capacity>
struct FixedText {
    std::array<char, Capacity> chars{};
    std::size_t size = 0;
    constexpr void append(std::string_view text) {
        for (const char c : text) chars[size++] = c;
    }
    constexpr std::string_view view() const { return {chars.data(), size}; }
};

template <class Text>
constexpr void append_number(Text& text, std::size_t number) {
    char digits[20]{};
    std::size_t first = sizeof digits;
    do {
        digits[--first] = static_cast<char>('0' + number % 10);
        number /= 10;
    } while (number != 0);
    text.append({digits + first, sizeof digits - first});
}

// "(28,28,1)": the first rank of dims.
template <class Text, class Dims>
constexpr void append_dims(Text& text, const Dims& dims, std::size_t rank) {
    text.append("(");
    for (std::size_t i = 0; i < rank; ++i) {
        if (i > 0) text.append(",");
        append_number(text, dims[i]);
    }
    text.append(")");
}

}  // namespace typenet
