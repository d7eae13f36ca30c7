// Real-valued settings written as decimals (decimal.hpp): one type per value
// however it is written, the nearest double as Python's float() gives it,
// and one text of each value in the architecture.
#include <array>
#include <cstdlib>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "typenet/compile_time_text.hpp"
#include "typenet/decimal.hpp"

namespace {

namespace tn = typenet;

template <tn::Decimal Setting>
struct Layer {};

std::string text_of(tn::Decimal number) {
    tn::FixedText<64> text;
    tn::append_decimal(text, number);
    return std::string(text.view());
}

}  // namespace

TEST(Decimal, OneValueIsOneTypeHoweverItIsWritten) {
    static_assert(std::is_same_v<Layer<"0.25">, Layer<".250">>);
    static_assert(std::is_same_v<Layer<"0.25">, Layer<"25e-2">>);
    static_assert(std::is_same_v<Layer<"+3">, Layer<"3.0">>);
    static_assert(std::is_same_v<Layer<"0">, Layer<"-0.00">>);
    static_assert(!std::is_same_v<Layer<"0.3">, Layer<"0.30000001">>);
    static_assert(!std::is_same_v<Layer<"0.3">, Layer<"-0.3">>);
}

TEST(Decimal, PrintsOneFormOfEachValue) {
    EXPECT_EQ(text_of("0.25"), "0.25");
    EXPECT_EQ(text_of("-1.5"), "-1.5");
    EXPECT_EQ(text_of("3e2"), "300");
    EXPECT_EQ(text_of("1e-3"), "0.001");
    EXPECT_EQ(text_of("12.50"), "12.5");
    EXPECT_EQ(text_of("-0"), "0");
    EXPECT_EQ(text_of("1e-12"), "1e-12");
    EXPECT_EQ(text_of("2.5e10"), "25000000000");
    EXPECT_EQ(text_of("2.5e11"), "25e10");
    EXPECT_EQ(text_of("123456789012345"), "123456789012345");
}

TEST(Decimal, ValueIsTheNearestDoubleAsStrtodGivesIt) {
    constexpr std::array<tn::Decimal, 14> settings{"0.1",   "0.3",     "1e-3",  "1e-7",     "0.99",
                                                   "-0.3",  "2.5e-5",  "1e22",  "1e-22",    "0.123456789",
                                                   "9007199254740.991", "7e-10", "123.456", "0.00001"};
    constexpr std::array<const char*, 14> texts{"0.1",   "0.3",     "1e-3",  "1e-7",     "0.99",
                                                "-0.3",  "2.5e-5",  "1e22",  "1e-22",    "0.123456789",
                                                "9007199254740.991", "7e-10", "123.456", "0.00001"};
    for (std::size_t i = 0; i < settings.size(); ++i) {
        EXPECT_EQ(settings[i].value(), std::strtod(texts[i], nullptr)) << texts[i];
        EXPECT_EQ(settings[i].value_as_float(), static_cast<float>(std::strtod(texts[i], nullptr))) << texts[i];
    }
}
