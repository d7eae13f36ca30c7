#pragma once
// A model's parameters as the files that hold them see them: tensors, each a
// layer's TensorInfo at its place in the model's parameters() block. Model
// files and safetensors files both write and read through this list.
#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <utility>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// What a file can be written from and read into: a model (or a ModelView,
// for writing) whose parameters are one block laid out by its graph.
template <class M>
concept SavableModel = requires(const M& model) {
    typename M::graph;
    { model.parameters() } -> std::same_as<std::span<const float>>;
};

// One tensor of a model: a layer's TensorInfo and where it starts in the
// model's parameters() block (which pads between layers; the tensors do not).
struct ModelTensor {
    std::size_t layer;
    TensorInfo info;
    std::size_t parameter_offset;
};

namespace detail {

template <class M, std::size_t I, std::size_t Count>
constexpr void collect_tensors(std::array<ModelTensor, Count>& tensors, std::size_t& next) {
    using graph = typename M::graph;
    for (const TensorInfo& info : graph::template bound<I>::tensors)
        tensors[next++] = {I, info, graph::parameter_offsets[I] + info.offset};
}

}  // namespace detail

// Every tensor of every layer, in layer order.
template <class M>
inline constexpr auto model_tensors = [] {
    using graph = typename M::graph;
    constexpr std::size_t count = []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::size_t{0} + ... + graph::template bound<I>::tensors.size());
    }(std::make_index_sequence<graph::layer_count>{});
    std::array<ModelTensor, count> tensors{};
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (detail::collect_tensors<M, I>(tensors, next), ...);
    }(std::make_index_sequence<graph::layer_count>{});
    return tensors;
}();

}  // namespace typenet::io
