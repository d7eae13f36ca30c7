#pragma once
// Text written at compile time by the same code twice: once into a counter
// for its length, then into an array of exactly that length. Layers use it to
// describe their settings, io to write a model's architecture.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "typenet/decimal.hpp"
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

// The text Writer::write(text) writes, as a constant of exactly its length:
// written once into a counter, then into the array.
template <class Writer>
inline constexpr auto constant_text = [] {
    constexpr std::size_t length = [] {
        TextLength counter;
        Writer::write(counter);
        return counter.size;
    }();
    FixedText<length> text;
    Writer::write(text);
    return text;
}();

// The decimal digits of a number, most significant first.
class Digits {
public:
    constexpr explicit Digits(std::uint64_t number) {
        do {
            chars_[--first_] = static_cast<char>('0' + number % 10);
            number /= 10;
        } while (number != 0);
    }
    constexpr std::string_view view() const { return {chars_ + first_, sizeof chars_ - first_}; }

private:
    char chars_[20]{};
    std::size_t first_ = sizeof chars_;
};

template <class Text>
constexpr void append_number(Text& text, std::size_t number) {
    text.append(Digits(number).view());
}

// "0.25", "-1.5", "300", "1e-12": plain digits for exponents of magnitude up
// to 9, otherwise the significand and its power of ten.
template <class Text>
constexpr void append_decimal(Text& text, Decimal number) {
    if (number.significand < 0) text.append("-");
    const Digits digits(number.significand < 0 ? std::uint64_t(-number.significand) : std::uint64_t(number.significand));
    const std::string_view significant = digits.view();
    const std::int32_t e = number.exponent;
    if (e > 9 || e < -9) {
        text.append(significant);
        text.append("e");
        if (e < 0) text.append("-");
        append_number(text, std::size_t(e < 0 ? -e : e));
    } else if (e >= 0) {
        text.append(significant);
        for (std::int32_t zero = 0; zero < e; ++zero) text.append("0");
    } else if (std::size_t(-e) >= significant.size()) {
        text.append("0.");
        for (std::size_t zero = significant.size(); zero < std::size_t(-e); ++zero) text.append("0");
        text.append(significant);
    } else {
        const std::size_t whole = significant.size() - std::size_t(-e);
        text.append(significant.substr(0, whole));
        text.append(".");
        text.append(significant.substr(whole));
    }
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
