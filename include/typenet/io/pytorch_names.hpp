#pragma once
// A model's tensors as PyTorch's state_dict() names and lays them out: the
// name of each tensor ("encoder.0.weight", after the parts' names, given or
// those of the PyTorch module people write for the model), its shape in
// PyTorch, and the permutation of axes between typenet's layout and
// PyTorch's. docs/safetensors.md gives the names and layouts.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/model_tensors.hpp"
#include "typenet/layer.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// The names of a two-part model's parts in PyTorch: the attributes of the
// nn.Module that hold them.
inline constexpr std::array<std::string_view, 2> encoder_decoder_parts{"encoder", "decoder"};

// The dtypes PyTorch gives typenet's tensors: float32, but int64 for a
// counter (BatchNorm2d's num_batches_tracked), which typenet keeps in a float.
enum class TorchDtype { float32, int64 };

// One tensor of a model as PyTorch's state_dict() holds it.
struct TorchTensor {
    std::string name;                 // "encoder.0.weight"
    std::size_t rank;
    std::array<std::size_t, 4> dims;  // PyTorch's shape
    std::array<std::size_t, 4> axes;  // PyTorch's axis i is typenet's axis axes[i]
    ModelTensor tensor;               // typenet's
    TorchDtype dtype;
};

// A model whose parts can be named: typenet::Model.
template <class M>
concept PartedModel = SavableModel<M> && requires {
    typename M::parts;
    { M::part_count } -> std::convertible_to<std::size_t>;
    M::part_bounds;
};

// A part that names its attribute in the PyTorch module:
//   struct Encoder : tn::Sequential<...> { static constexpr std::string_view torch_name = "encoder"; };
template <class Part>
concept DeclaresTorchName = SequentialPart<Part> && requires { Part::torch_name; };

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

// What PyTorch accepts as the path of a submodule: names of letters, digits
// and '_' (nn.Sequential names its modules 0, 1, ...) joined by dots.
constexpr bool is_torch_module_path(std::string_view path) {
    std::size_t name_length = 0;
    for (const char c : path) {
        if (c == '.') {
            if (name_length == 0) return false;
            name_length = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
            ++name_length;
        } else {
            return false;
        }
    }
    return name_length > 0;
}

// Names the part whose torch_name is wrong in the compiler's note: torch_name_check<Encoder>.
template <class Part>
struct torch_name_check {
    static constexpr bool value = [] {
        if constexpr (std::is_convertible_v<decltype(Part::torch_name), std::string_view>)
            return is_torch_module_path(Part::torch_name);
        else
            return false;
    }();
    static_assert(value, "typenet: this part's torch_name is not a PyTorch module path; give a std::string_view of "
                         "letters, digits and '_', or of such names joined by '.' (\"encoder\", \"model.encoder\")");
};

template <class Part>
constexpr bool has_valid_torch_name() {
    if constexpr (DeclaresTorchName<Part>) return torch_name_check<Part>::value;
    else return true;
}

template <class M>
constexpr bool has_valid_part_names() {
    return []<class... Parts>(TypeList<Parts...>) {
        return (has_valid_torch_name<Parts>() && ...);
    }(typename M::parts{});
}

// A module of the PyTorch network: its path in the state_dict ("" for the
// network itself) and where its layers end (they begin where the previous
// module's end). Inside an nn.Sequential the layers with parameters are
// numbered 0, 1, ...; a module that is one layer holds its tensors itself.
struct TorchModule {
    std::string path;
    std::size_t end_layer;
    bool is_one_layer = false;
};

// One module for each part, part p's at path_of(p).
template <class M, class PathOf>
std::vector<TorchModule> part_modules(PathOf path_of) {
    std::vector<TorchModule> modules;
    for (std::size_t part = 0; part < M::part_count; ++part)
        modules.push_back({std::string(path_of(part)), M::part_bounds[part + 1]});
    return modules;
}

// The modules of the PyTorch network people write for M (docs/safetensors.md).
template <class M>
std::vector<TorchModule> default_modules() {
    return []<class... Parts>(TypeList<Parts...>) {
        if constexpr ((DeclaresTorchName<Parts> && ...)) {
            constexpr std::array<std::string_view, sizeof...(Parts)> names{std::string_view(Parts::torch_name)...};
            return part_modules<M>([&](std::size_t part) { return names[part]; });
        } else if constexpr (sizeof...(Parts) == 1 || !(SequentialPart<Parts> || ...)) {
            return std::vector<TorchModule>{{"", M::layer_count}};  // one nn.Sequential
        } else if constexpr (sizeof...(Parts) == 2) {
            return part_modules<M>([](std::size_t part) { return encoder_decoder_parts[part]; });
        } else {  // an nn.Sequential of the parts: a named part an nn.Sequential in it, a single layer a module
            constexpr std::array<bool, sizeof...(Parts)> is_one_layer{!SequentialPart<Parts>...};
            std::vector<TorchModule> modules = part_modules<M>([](std::size_t part) { return std::to_string(part); });
            for (std::size_t part = 0; part < modules.size(); ++part) modules[part].is_one_layer = is_one_layer[part];
            return modules;
        }
    }(typename M::parts{});
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

template <class M>
std::vector<TorchTensor> torch_tensors_in(std::span<const TorchModule> modules) {
    static_assert(has_torch_names<M>());
    static_assert(has_valid_part_names<M>());
    std::vector<TorchTensor> tensors;
    std::size_t module = 0, number = 0;
    std::optional<std::size_t> numbered_layer;  // the last layer given a number
    for (const ModelTensor& tensor : model_tensors<M>) {
        if (tensor.layer != numbered_layer) {
            if (numbered_layer) ++number;
            while (tensor.layer >= modules[module].end_layer) {
                ++module;
                number = 0;
            }
            numbered_layer = tensor.layer;
        }
        const std::size_t rank = tensor.info.rank;
        const std::string& path = modules[module].path;
        TorchTensor torch{modules[module].is_one_layer ? fmt::format("{}.{}", path, tensor.info.torch_name)
                          : path.empty()               ? fmt::format("{}.{}", number, tensor.info.torch_name)
                                                       : fmt::format("{}.{}.{}", path, number, tensor.info.torch_name),
                          rank, {}, {0, 1, 2, 3}, tensor,
                          tensor.info.role == TensorRole::counter ? TorchDtype::int64 : TorchDtype::float32};
        if (tensor.info.torch_axes == TorchAxes::channels_first && rank >= 2) torch.axes = {rank - 1, rank - 2, 0, 1};
        for (std::size_t axis = 0; axis < rank; ++axis) torch.dims[axis] = tensor.info.dims[torch.axes[axis]];
        tensors.push_back(std::move(torch));
    }
    std::vector<std::string_view> names;
    for (const TorchTensor& tensor : tensors) names.push_back(tensor.name);
    std::ranges::sort(names);
    if (const auto twice = std::ranges::adjacent_find(names); twice != names.end()) {
        std::vector<std::string_view> paths;
        for (const TorchModule& each : modules) paths.push_back(each.path);
        throw UsageError(fmt::format("typenet: the part names ({}) give two tensors the name {}; give each part a "
                                     "name of its own",
                                     fmt::join(paths, ", "), *twice));
    }
    return tensors;
}

}  // namespace detail

// Every tensor of M as PyTorch names and lays it out: the state_dict() of a
// module whose parts are nn.Sequential attributes, in which the layers with
// parameters are numbered 0, 1, ... in order, so that a layer's kernel is
// "<part>.<number>.weight" (a BatchNormalization is numbered, and its running
// statistics and count are named as BatchNorm2d's; a Dropout, an Activation
// or a pooling layer has no number, as it has no tensors). The parts' names are those of the PyTorch module
// people write for M (docs/safetensors.md):
// - every part declares a torch_name: those names;
// - one part, or only single layers as parts: one nn.Sequential, no prefix ("0.weight");
// - two parts: "encoder" and "decoder" (encoder_decoder_parts);
// - three or more: an nn.Sequential of the parts, numbered: a named part an
//   nn.Sequential in it ("2.0.weight"), a single layer a module ("1.weight").
template <PartedModel M>
std::vector<TorchTensor> torch_tensors() {
    return detail::torch_tensors_in<M>(detail::default_modules<M>());
}

// The same with part p named part_names[p] (an empty name: "<number>.weight").
template <PartedModel M>
std::vector<TorchTensor> torch_tensors(std::span<const std::string_view> part_names) {
    if (part_names.size() != M::part_count)
        throw UsageError(fmt::format("typenet: the model has {} parts, but {} PyTorch names were given for them "
                                     "({}); give one name per part",
                                     M::part_count, part_names.size(), fmt::join(part_names, ", ")));
    return detail::torch_tensors_in<M>(
        detail::part_modules<M>([&](std::size_t part) { return part_names[part]; }));
}

}  // namespace typenet::io
