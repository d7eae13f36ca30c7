#pragma once
// The network and the contents of the model file and checkpoint in
// tests/fixtures/, which typenet wrote in format version 1 (before the
// per-tensor dtype of version 2): every later typenet must load them.
#include <cstddef>

#include "typenet/io/model_file.hpp"
#include "typenet/typenet.hpp"

namespace typenet::testing::version1 {

using Net = Model<Input<6>, Dense<4, Tanh>, Dense<6>>;
inline constexpr std::uint64_t net_seed = 1;

// The Adam state the checkpoint holds: moments that differ in every element
// of every tensor (the padding between layers' tensors stays zero).
inline Adam::State adam_state() {
    Adam::State state(Net::parameter_count);
    for (const io::ModelTensor& tensor : io::model_tensors<Net>) {
        for (std::size_t i = tensor.parameter_offset; i < tensor.parameter_offset + tensor.info.size(); ++i) {
            state.m[i] = 0.001f * float(i);
            state.v[i] = 0.0001f * float(i + 1);
        }
    }
    state.step = 12;
    return state;
}

inline io::CheckpointInfo checkpoint_info() { return {.epochs = 2, .seed = 7, .values = {{"noise_seed", 3}}}; }

}  // namespace typenet::testing::version1
