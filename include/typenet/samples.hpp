#pragma once
// Samples<Shape<28, 28>>: rows of floats whose shape is part of the type, so a
// model fed the wrong data, or trained towards targets of another shape, does
// not compile.
#include <cstddef>
#include <span>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/shape.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <class S>
class Samples {
    static_assert(is_shape<S>, "typenet: Samples<Shape<...>> takes a shape");

public:
    using shape = S;
    Samples() = default;
    explicit Samples(std::span<const float> values) : values_(values) {
        if (values.size() % S::size != 0)
            throw UsageError(fmt::format("typenet: {} floats is not a whole number of samples of {} floats",
                                         values.size(), S::size));
    }
    std::size_t count() const { return values_.size() / S::size; }
    bool empty() const { return values_.empty(); }
    std::span<const float> values() const { return values_; }
    std::span<const float> rows(std::size_t first, std::size_t count) const {
        return values_.subspan(first * S::size, count * S::size);
    }
    const float* row(std::size_t i) const { return values_.data() + i * S::size; }

private:
    std::span<const float> values_;
};

}  // namespace typenet
