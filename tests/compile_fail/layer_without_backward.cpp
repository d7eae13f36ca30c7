// A layer of the user's own without backward: refused where the model binds
// it, naming the layer's index, its type and the missing member.
// expect: typenet: a layer's Bound must have template <class Arch> static void backward(
// expect: layer_contract<typenet::layer_index<1>, ForwardOnly::Bound<typenet::Shape<4>>>
#include <array>

#include "typenet/typenet.hpp"

namespace tn = typenet;

struct ForwardOnly {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };
    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "ForwardOnly";
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = 0, scratch_floats = 0;
        static constexpr bool is_view = false;
        static constexpr std::array<tn::TensorInfo, 0> tensors{};
        static void initialize(float*, tn::Random&) {}
        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            std::copy(x, x + rows * In::size, y);
        }
    };
};

using Broken = tn::Model<tn::Input<4>, tn::Dense<4>, ForwardOnly>;

int main() { Broken model; }
