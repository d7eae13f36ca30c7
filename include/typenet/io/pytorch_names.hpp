#pragma once
// A model's tensors as PyTorch's state_dict() names and lays them out: the
// name of each tensor ("encoder.0.weight"), its shape in PyTorch, and the
// permutation of axes between typenet's layout and PyTorch's.
// docs/safetensors.md gives the names and layouts.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/model_tensors.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// The names of a two-part model's parts in PyTorch: the attributes of the
// nn.Module that hold them.
inline constexpr std::array<std::string_view, 2> encoder_decoder_parts{"encoder", "decoder"};

// One tensor of a model as PyTorch's state_dict() holds it.
struct TorchTensor {
    std::string name;                 // "encoder.0.weight"
    std::size_t rank;
    std::array<std::size_t, 4> dims;  // PyTorch's shape
    std::array<std::size_t, 4> axes;  // PyTorch's axis i is typenet's axis axes[i]
    ModelTensor tensor;               // typenet's
};

// A model whose parts can be named: typenet::Model.
template <class M>
concept PartedModel = SavableModel<M> && requires {
    { M::part_count } -> std::convertible_to<std::size_t>;
    M::part_bounds;
};

namespace detail {

// Names the first layer whose tensors have no PyTorch name, in the compiler's
// note: torch_names_check<layer_index<I>, TheLayer::Bound<...>>.
template <class Index, class B>
struct torch_names_check {
    static constexpr bool value = [] {
        for (const TensorInfo& tensor : B::tensors)
            if (tensor.torch_name.empty()) return false;
        return true;
    }();
    static_assert(value, "typenet: this layer's tensors have no PyTorch names, so the model cannot be exported to "
                         "or read from safetensors; give each TensorInfo a torch_name (see layer.hpp)");
};

template <class M>
constexpr bool has_torch_names() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (torch_names_check<layer_index<I>, typename M::graph::template bound<I>>::value && ...);
    }(std::make_index_sequence<M::layer_count>{});
}

// Calls visit(torch_index, typenet_index) for every element of the tensor,
// indices counted in floats from the tensor's first.
template <class Visit>
void for_each_element(const TorchTensor& tensor, Visit visit) {
    std::array<std::size_t, 4> typenet_strides{};
    std::size_t stride = 1;
    for (std::size_t axis = tensor.tensor.info.rank; axis-- > 0;) {
        typenet_strides[axis] = stride;
        stride *= tensor.tensor.info.dims[axis];
    }
    // Loops over PyTorch's axes, padded to four with axes of size 1.
    std::array<std::size_t, 4> dims{1, 1, 1, 1}, strides{};
    for (std::size_t axis = 0; axis < tensor.rank; ++axis) {
        dims[axis] = tensor.dims[axis];
        strides[axis] = typenet_strides[tensor.axes[axis]];
    }
    std::size_t torch_index = 0;
    for (std::size_t a = 0; a < dims[0]; ++a)
        for (std::size_t b = 0; b < dims[1]; ++b)
            for (std::size_t c = 0; c < dims[2]; ++c)
                for (std::size_t d = 0; d < dims[3]; ++d)
                    visit(torch_index++, a * strides[0] + b * strides[1] + c * strides[2] + d * strides[3]);
}

}  // namespace detail

// Every tensor of M as PyTorch names and lays it out. Part p's layers with
// parameters are numbered 0, 1, ... in order, so a layer's kernel is
// "<part_names[p]>.<number>.weight" (an empty part name: "<number>.weight"):
// the state_dict() of a module whose parts are nn.Sequential attributes in
// which the modules with parameters are named by number.
template <PartedModel M>
std::vector<TorchTensor> torch_tensors(std::span<const std::string_view> part_names = encoder_decoder_parts) {
    static_assert(detail::has_torch_names<M>());
    if (part_names.size() != M::part_count)
        throw UsageError(fmt::format("typenet: the model has {} parts, but {} PyTorch names were given for them "
                                     "({}); give one name per part",
                                     M::part_count, part_names.size(), fmt::join(part_names, ", ")));
    std::vector<TorchTensor> tensors;
    std::size_t part = 0, number = 0;
    std::optional<std::size_t> numbered_layer;  // the last layer given a number
    for (const ModelTensor& tensor : model_tensors<M>) {
        if (tensor.layer != numbered_layer) {
            if (numbered_layer) ++number;
            while (tensor.layer >= M::part_bounds[part + 1]) {
                ++part;
                number = 0;
            }
            numbered_layer = tensor.layer;
        }
        const std::size_t rank = tensor.info.rank;
        TorchTensor torch{part_names[part].empty()
                              ? fmt::format("{}.{}", number, tensor.info.torch_name)
                              : fmt::format("{}.{}.{}", part_names[part], number, tensor.info.torch_name),
                          rank, {}, {0, 1, 2, 3}, tensor};
        if (tensor.info.torch_axes == TorchAxes::channels_first && rank >= 2) torch.axes = {rank - 1, rank - 2, 0, 1};
        for (std::size_t axis = 0; axis < rank; ++axis) torch.dims[axis] = tensor.info.dims[torch.axes[axis]];
        tensors.push_back(std::move(torch));
    }
    std::vector<std::string_view> names;
    for (const TorchTensor& tensor : tensors) names.push_back(tensor.name);
    std::ranges::sort(names);
    if (const auto twice = std::ranges::adjacent_find(names); twice != names.end())
        throw UsageError(fmt::format("typenet: the part names ({}) give two tensors the name {}; give each part a "
                                     "name of its own",
                                     fmt::join(part_names, ", "), *twice));
    return tensors;
}

}  // namespace typenet::io
