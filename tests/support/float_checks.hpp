#pragma once
// What the kernel tests share: seeded random inputs, and a comparison with a
// plain reference within a tolerance relative to the expected value.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "typenet/random.hpp"

namespace typenet::testing {

inline std::vector<float> random_floats(std::size_t n, std::uint64_t seed, float low = -1.0f, float high = 1.0f) {
    Random random(seed);
    std::vector<float> values(n);
    for (auto& v : values) v = random.uniform(low, high);
    return values;
}

inline void expect_close(const std::vector<float>& actual, const std::vector<float>& expected, float tolerance,
                         const std::string& what) {
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i)
        ASSERT_NEAR(actual[i], expected[i], tolerance * (1.0f + std::abs(expected[i]))) << what << " at " << i;
}

}  // namespace typenet::testing
