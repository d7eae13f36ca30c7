// A layer with 8 parameters whose tensors describe only 4 of them: refused,
// so that no file or optimizer that goes by tensors misses a parameter.
// expect: typenet: a layer's tensors must cover its parameter_count floats exactly once (no gap, no overlap)
// expect: layer_contract<typenet::layer_index<1>, Scale::Bound<typenet::Shape<4>>>
#include <array>

#include "typenet/typenet.hpp"

namespace tn = typenet;

struct Scale {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };
    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Scale";
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = 2 * In::size, scratch_floats = 0;
        static constexpr bool is_view = false;
        static constexpr std::array<tn::TensorInfo, 1> tensors{{{"factor", 0, 1, {In::size, 0, 0, 0}}}};
        static void initialize(float*, tn::Random&) {}
        template <class Arch>
        static void forward(const float*, const float*, float*, std::size_t, float*) {}
        template <class Arch>
        static void backward(const float*, const float*, const float*, float*, float*, float*, std::size_t, float*) {}
    };
};

using Broken = tn::Model<tn::Input<4>, tn::Dense<4>, Scale>;

int main() { Broken model; }
