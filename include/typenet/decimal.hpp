#pragma once
// A real-valued setting written as a template argument, as a decimal in a
// string: Dropout<"0.25">, LeakyReLU<"0.3">, an epsilon of "1e-3".
//
// Why not a float: clang 14 accepts no floating-point template arguments, and
// a float's digits in the architecture text (which keys model files) would be
// whatever a formatter chose. A Decimal is the number the user wrote, exactly:
// it is normalized, so "0.250", ".25" and "25e-2" are one setting, one type
// and one architecture text.
#include <cstddef>
#include <cstdint>

#include "typenet/compile_time_error.hpp"
#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct Decimal {
    // The value is significand × 10^exponent; significand has no trailing zero.
    std::int64_t significand = 0;
    std::int32_t exponent = 0;

    // Digits beyond 2^53 or a power of ten beyond 10^22 are refused: within
    // those, value() is one correctly rounded operation on exact doubles.
    static constexpr std::int64_t max_significand = std::int64_t{1} << 53;
    static constexpr std::int32_t max_exponent = 22;

    template <std::size_t N>
    consteval Decimal(const char (&text)[N]) {  // NOLINT: implicit, so that Dropout<"0.25"> reads as written
        std::size_t i = 0;
        const std::size_t end = N - 1;
        const bool negative = i < end && text[i] == '-';
        if (i < end && (text[i] == '-' || text[i] == '+')) ++i;
        std::size_t digits = 0;
        bool point = false;
        for (; i < end && (is_digit(text[i]) || (text[i] == '.' && !point)); ++i) {
            if (text[i] == '.') {
                point = true;
                continue;
            }
            ++digits;
            const int digit = text[i] - '0';
            if (significand > (max_significand - digit) / 10)
                refuse_at_compile_time(
                    "typenet: a decimal setting has at most 15 significant digits (its digits at most 2^53)");
            significand = significand * 10 + digit;
            if (point) --exponent;
        }
        if (digits == 0)
            refuse_at_compile_time("typenet: write a real-valued setting as a decimal, such as 0.25, -1.5 or 1e-3");
        if (i < end && (text[i] == 'e' || text[i] == 'E')) {
            ++i;
            const bool negative_power = i < end && text[i] == '-';
            if (i < end && (text[i] == '-' || text[i] == '+')) ++i;
            if (i == end) refuse_at_compile_time("typenet: a decimal setting's exponent has no digits");
            std::int32_t power = 0;
            for (; i < end && is_digit(text[i]); ++i) {
                if (power > 1000) refuse_at_compile_time("typenet: a decimal setting's exponent is far too large");
                power = power * 10 + (text[i] - '0');
            }
            exponent += negative_power ? -power : power;
        }
        if (i != end)
            refuse_at_compile_time("typenet: write a real-valued setting as a decimal, such as 0.25, -1.5 or 1e-3");
        if (significand == 0) exponent = 0;
        while (significand != 0 && significand % 10 == 0) {
            significand /= 10;
            ++exponent;
        }
        if (exponent > max_exponent || exponent < -max_exponent)
            refuse_at_compile_time("typenet: a decimal setting lies between 1e-22 and 1e22 in magnitude, or is 0");
        if (negative) significand = -significand;
    }

    // As Python's float(text): the nearest double.
    constexpr double value() const {
        double power = 1.0;
        for (std::int32_t e = 0; e < (exponent < 0 ? -exponent : exponent); ++e) power *= 10.0;
        return exponent < 0 ? double(significand) / power : double(significand) * power;
    }

    // As Keras turns a Python float into float32: through the double.
    constexpr float value_as_float() const { return static_cast<float>(value()); }

private:
    static constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
};

}  // namespace typenet
