#pragma once
// The notebook's corruption: x + factor * N(0, 1), clipped back to [0, 1].
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "typenet/instruction_set.hpp"
#include "typenet/random.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

inline std::vector<float> add_gaussian_noise(std::span<const float> images, float factor, Random& random) {
    std::vector<float> noisy(images.size());
    for (std::size_t i = 0; i < images.size(); ++i)
        noisy[i] = std::clamp(std::fma(factor, random.normal(), images[i]), 0.0f, 1.0f);  // fused in every build
    return noisy;
}

}  // namespace typenet
