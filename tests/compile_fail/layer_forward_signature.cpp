// A forward without the scratch argument has the wrong signature: refused,
// with the signature it must have.
// expect: typenet: a layer's Bound must have template <class Arch> static void forward(const float* params, const float* x, float* y, std::size_t rows, float* scratch)
// expect: layer_contract<typenet::layer_index<0>, NoScratch::Bound<typenet::Shape<4>>>
#include <array>

#include "typenet/typenet.hpp"

namespace tn = typenet;

struct NoScratch {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };
    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "NoScratch";
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = 0, scratch_floats = 0;
        static constexpr bool is_view = false;
        static constexpr std::array<tn::TensorInfo, 0> tensors{};
        static void initialize(float*, tn::Random&) {}
        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows) {
            std::copy(x, x + rows * In::size, y);
        }
        template <class Arch>
        static void backward(const float*, const float*, const float*, float*, float*, float*, std::size_t, float*) {}
    };
};

using Broken = tn::Model<tn::Input<4>, NoScratch>;

int main() { Broken model; }
